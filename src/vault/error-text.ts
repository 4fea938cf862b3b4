/**
 * Vault's own error texts of an answer, for a log line or a CLI message.
 * Vault's own words name no secret today, but an error may quote what it
 * was sent (a plugin's, a proxy's, a future version's): every secret of the
 * request (`sent`: a secret id, a token, a password hash) is replaced
 * wherever it appears, and the text is bounded.
 */
import { redactSecrets } from '../domain/redact.js';
import type { VaultResponse } from './transport.js';

/** More than any error Vault words; a longer one (a proxy's, a plugin's) is cut. */
export const MAX_ERROR_TEXT_CHARS = 500;

/** The `errors` of Vault's answer joined with `; `, without `sent`; '' when there are none. */
export function vaultErrorText(response: VaultResponse, sent: readonly string[]): string {
  const errors = (response.body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return '';
  const text = redactSecrets(errors.map(String).join('; '), sent);
  // Cut after the redaction, so that a secret is never shown half.
  return text.length > MAX_ERROR_TEXT_CHARS ? `${text.slice(0, MAX_ERROR_TEXT_CHARS)}…` : text;
}
