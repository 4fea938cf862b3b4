/**
 * Where users and their rights live. The token endpoint sees only this
 * interface; Vault and the embedded file store implement it.
 */
export interface UserRecord {
  /** As stored: a bcrypt or argon2 hash, or plaintext as Godoauth stored it. */
  readonly password: string;
  /** The access string, e.g. `repository:linux/app:*;repository:linux/db:pull`. */
  readonly access: string;
  /** The groups whose access strings the user also has (the `groups` field, comma-separated). */
  readonly groups: readonly string[];
}

/** A group: the secret `<mount>/_groups/<name>` (GROUPS_FOLDER), with its access string. */
export interface GroupRecord {
  readonly access: string;
}

/**
 * Where groups live inside a service's mount. User names starting with `_`
 * are reserved for such places, so no user can ever be named like them.
 */
export const GROUPS_FOLDER = '_groups';

/** Where a service's anonymous access string lives: the secret `<mount>/_anonymous` (field `access`). */
export const ANONYMOUS_ENTRY = '_anonymous';

export interface UserStore {
  /**
   * The user `account` of the storage `mount`, or null when there is none.
   * Both names have been validated as plain path segments before this call.
   * Throws an AppError: UNKNOWN_SERVICE when the mount is not a user store,
   * UNAVAILABLE when the storage cannot answer.
   */
  lookup(mount: string, account: string): Promise<UserRecord | null>;
  /** The group `group` of the storage `mount`, or null; the same errors as lookup. */
  lookupGroup(mount: string, group: string): Promise<GroupRecord | null>;
  /** The access of requests without credentials stored in the mount (`_anonymous`), or null. */
  lookupAnonymous(mount: string): Promise<GroupRecord | null>;
  /** A line for the start-up log. */
  describe(): string;
  close(): Promise<void>;
}

/**
 * A stored entry → a UserRecord; null when it is not one. An entry without a
 * password (`password` is then '') holds the rights of a user who logs in
 * through a directory (`services[].logins`): no KV login ever accepts it, and
 * it is no user at all unless it holds access or groups.
 */
export function toUserRecord(entry: unknown): UserRecord | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { password, access, groups } = entry as { password?: unknown; access?: unknown; groups?: unknown };
  const record = { password: typeof password === 'string' ? password : '', access: typeof access === 'string' ? access : '', groups: parseGroups(groups) };
  return record.password === '' && record.access === '' && record.groups.length === 0 ? null : record;
}

/** A stored group entry → a GroupRecord; null when it is not one. */
export function toGroupRecord(entry: unknown): GroupRecord | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { access } = entry as { access?: unknown };
  return { access: typeof access === 'string' ? access : '' };
}

/** `devs, ops` (as `vault write` stores it) or a YAML list → names, empty ones dropped. */
export function parseGroups(value: unknown): string[] {
  const names = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
  return [...new Set(names.map((name: string) => name.trim()).filter((name: string) => name.length > 0))];
}
