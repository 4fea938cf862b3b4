/**
 * Text from elsewhere (Vault's error words, a plugin's) about to be logged,
 * with every secret the request sent replaced: whatever quotes what it was
 * given, the log never shows it.
 */
export const REDACTED = '[redacted]';

export function redactSecrets(text: string, sent: readonly string[]): string {
  let redacted = text;
  for (const secret of sent) if (secret) redacted = redacted.replaceAll(secret, REDACTED);
  return redacted;
}
