/**
 * Where users and their rights live. The token endpoint sees only this
 * interface; Vault and the embedded file store implement it.
 */
export interface UserRecord {
  /** As stored (plaintext, as Godoauth stored it). */
  readonly password: string;
  /** The access string, e.g. `repository:linux/app:*;repository:linux/db:pull`. */
  readonly access: string;
}

export interface UserStore {
  /**
   * The user `account` of the storage `mount`, or null when there is none.
   * Both names have been validated as plain path segments before this call.
   * Throws an AppError: UNKNOWN_SERVICE when the mount is not a user store,
   * UNAVAILABLE when the storage cannot answer.
   */
  lookup(mount: string, account: string): Promise<UserRecord | null>;
  /** A line for the start-up log. */
  describe(): string;
  close(): Promise<void>;
}

/** A stored entry → a UserRecord; null when it has no usable password. */
export function toUserRecord(entry: unknown): UserRecord | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { password, access } = entry as { password?: unknown; access?: unknown };
  if (typeof password !== 'string' || password.length === 0) return null;
  return { password, access: typeof access === 'string' ? access : '' };
}
