/**
 * Writing users and groups, for the administration commands (`user …`,
 * `group …`). The server itself never writes: it reads through UserStore.
 *
 * Both storages hold the same layout, the one `vault write` produces:
 *
 *   <mount>/<user>            password, access, groups (comma-separated)
 *   <mount>/_groups/<group>   access
 *
 * Records are taken and returned as their raw fields (strings as stored), so
 * a user written by hand keeps every field a command does not change. Vault
 * and the YAML file each implement this interface in their own file.
 */

import { checkPathSegment, isReservedName } from '../domain/names.js';
import { GROUPS_FOLDER } from './user-store.js';

export { GROUPS_FOLDER };

/** A secret's fields as stored. The ones this project writes are strings; others are kept as they are. */
export type SecretFields = Readonly<Record<string, unknown>>;

export interface UserAdmin {
  /** Where the users are, for messages: `Vault at http://…` or `the user file /…`. */
  describe(): string;
  /**
   * Throws an AdminError, saying why, when `mount` cannot hold users (not a
   * KV mount, not visible to the token). Commands call it before any write.
   */
  checkMount(mount: string): Promise<void>;

  /** The user's fields, or null when there is no such user. */
  getUser(mount: string, name: string): Promise<SecretFields | null>;
  /** Creates or replaces the user's secret with exactly these fields. */
  putUser(mount: string, name: string, fields: SecretFields): Promise<void>;
  /** Removes the user completely (on KV v2, every version and the metadata); false when there was none. */
  deleteUser(mount: string, name: string): Promise<boolean>;
  /** The user names of the mount, sorted; never the groups folder or other folders. */
  listUsers(mount: string): Promise<string[]>;

  getGroup(mount: string, name: string): Promise<SecretFields | null>;
  putGroup(mount: string, name: string, fields: SecretFields): Promise<void>;
  deleteGroup(mount: string, name: string): Promise<boolean>;
  listGroups(mount: string): Promise<string[]>;

  close(): Promise<void>;
}

export type EntryKind = 'user' | 'group';

/**
 * Users and groups are stored alike (a secret per name, in the mount or in
 * its `_groups` folder): an implementation writes entries of either kind,
 * and this class gives them the interface's names.
 */
export abstract class EntryAdmin implements UserAdmin {
  abstract describe(): string;
  abstract checkMount(mount: string): Promise<void>;
  abstract close(): Promise<void>;
  protected abstract getEntry(kind: EntryKind, mount: string, name: string): Promise<SecretFields | null>;
  protected abstract putEntry(kind: EntryKind, mount: string, name: string, fields: SecretFields): Promise<void>;
  protected abstract deleteEntry(kind: EntryKind, mount: string, name: string): Promise<boolean>;
  protected abstract listEntries(kind: EntryKind, mount: string): Promise<string[]>;

  getUser(mount: string, name: string): Promise<SecretFields | null> {
    return this.getEntry('user', mount, name);
  }
  putUser(mount: string, name: string, fields: SecretFields): Promise<void> {
    return this.putEntry('user', mount, name, fields);
  }
  deleteUser(mount: string, name: string): Promise<boolean> {
    return this.deleteEntry('user', mount, name);
  }
  listUsers(mount: string): Promise<string[]> {
    return this.listEntries('user', mount);
  }
  getGroup(mount: string, name: string): Promise<SecretFields | null> {
    return this.getEntry('group', mount, name);
  }
  putGroup(mount: string, name: string, fields: SecretFields): Promise<void> {
    return this.putEntry('group', mount, name, fields);
  }
  deleteGroup(mount: string, name: string): Promise<boolean> {
    return this.deleteEntry('group', mount, name);
  }
  listGroups(mount: string): Promise<string[]> {
    return this.listEntries('group', mount);
  }
}

/**
 * Why the server would refuse this user or group name, or null: each must be
 * one plain path segment, not start with `_` (reserved for the server's own
 * entries such as `_groups`), and a group name must not hold the `,` that
 * separates a user's groups.
 */
export function nameProblem(kind: EntryKind, name: string): string | null {
  const check = checkPathSegment(name);
  if (!check.ok) return `the ${kind} name ${JSON.stringify(name)} ${check.reason}`;
  if (isReservedName(name)) return `the ${kind} name ${JSON.stringify(name)} must not start with "_" (reserved for the server)`;
  if (kind === 'group' && name.includes(',')) return `the group name ${JSON.stringify(name)} must not contain "," (it separates a user's groups)`;
  return null;
}

/** Throws an AdminError when the server would refuse the name. */
export function checkName(kind: EntryKind, name: string): void {
  const problem = nameProblem(kind, name);
  if (problem !== null) throw new AdminError(problem);
}

/** A refusal or failure of the storage, with a message meant for the operator as it is. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
}

/** A field as text: '' when absent or not a string. */
export function fieldText(fields: SecretFields, key: string): string {
  const value = fields[key];
  return typeof value === 'string' ? value : '';
}

/** `repository:a:*; repository:b:pull;` → the entries as written, trimmed, empty ones dropped. */
export function splitAccess(text: string): string[] {
  return text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

export function joinAccess(entries: readonly string[]): string {
  return entries.join(';');
}

export function joinGroups(groups: readonly string[]): string {
  return groups.join(',');
}

/** Sorted as `ls` would for plain names: by code point, so the order is the same everywhere. */
export function sortNames(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Runs `work` on each item, at most `limit` at a time; the results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
