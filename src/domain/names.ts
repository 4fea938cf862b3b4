/**
 * Validation of the names that end up in a storage path: the `service`
 * (a Vault mount) and the `account` (a key in that mount). Whatever a client
 * sends, a name that passes here is a single, plain path segment.
 */

export const MAX_NAME_LENGTH = 256;

// Control characters (C0, DEL, C1) and the characters that would change the
// meaning of a storage path or of a URL built from it.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\?#%]/u;

export type NameCheck = { ok: true } | { ok: false; reason: string };

export function checkPathSegment(value: string): NameCheck {
  if (value.length === 0) return { ok: false, reason: 'must not be empty' };
  if (value.length > MAX_NAME_LENGTH) return { ok: false, reason: `must be at most ${MAX_NAME_LENGTH} characters` };
  if (value === '.' || value === '..' || value.includes('..')) return { ok: false, reason: 'must not contain ".."' };
  if (FORBIDDEN.test(value)) return { ok: false, reason: 'must not contain "/", "\\", "?", "#", "%" or control characters' };
  if (value.trim() !== value) return { ok: false, reason: 'must not start or end with white space' };
  return { ok: true };
}

/**
 * Names starting with `_` are the server's own places in a service's mount
 * (`_groups/`): never a user, never a group.
 */
export function isReservedName(name: string): boolean {
  return name.startsWith('_');
}
