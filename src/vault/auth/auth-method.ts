/**
 * How the server proves itself to Vault. Each method is one small module
 * that knows its login request; the session (../session.ts) decides when to
 * log in, renew and log in again. Secrets (tokens, secret ids, JWTs) are read
 * from their files at each login, so rotated files are picked up, and never
 * appear in an error message or a log line.
 */
import { readFile } from 'node:fs/promises';
import { unavailable } from '../../errors.js';
import { vaultErrorText } from '../error-text.js';
import type { VaultResponse, VaultTransport } from '../transport.js';

export interface LoginResult {
  readonly token: string;
  /** Seconds the token lives from now; 0 for a token that never expires (a root token). */
  readonly ttlSeconds: number;
  readonly renewable: boolean;
}

export interface AuthMethod {
  /** `token`, `approle` or `kubernetes`: for log lines. */
  readonly name: string;
  login(transport: VaultTransport): Promise<LoginResult>;
  /** Files whose change calls for a new login (a Vault Agent token sink). */
  readonly watchFiles: readonly string[];
}

/** A secret from the config or the environment, or from a file read when needed. */
export type SecretSource = { readonly value: string } | { readonly file: string; readonly key: string };

export async function readSecret(source: SecretSource, what: string): Promise<string> {
  if ('value' in source) return source.value;
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch (error) {
    throw unavailable(`cannot read the ${what} file ${source.file} (${source.key}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const secret = text.trim();
  if (!secret) throw unavailable(`the ${what} file ${source.file} (${source.key}) is empty`);
  return secret;
}

/**
 * Vault's answer to a login, or a clear failure naming the method and
 * Vault's reason. `sent` are the secrets the login sent (secret id, JWT):
 * kept out of the reason, whatever Vault echoes.
 */
export function loginResult(method: string, path: string, response: VaultResponse, sent: readonly string[]): LoginResult {
  const auth = (response.body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | null)?.auth;
  if (response.status === 200 && typeof auth?.client_token === 'string' && auth.client_token) {
    return { token: auth.client_token, ttlSeconds: Number(auth.lease_duration) || 0, renewable: auth.renewable === true };
  }
  throw unavailable(`${method} login at ${path} was refused (${response.status}): ${vaultErrors(response, sent)}`);
}

/** Vault's own error texts, without the secrets the request sent (src/vault/error-text.ts). */
export function vaultErrors(response: VaultResponse, sent: readonly string[]): string {
  return vaultErrorText(response, sent) || 'no reason given';
}
