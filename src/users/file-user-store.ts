/**
 * The embedded default's user store: a YAML file with the layout of the Vault
 * store (service → user → password, access). It is read again when its
 * modification time changes, so edits take effect without a restart, on the
 * next request. The modification time is checked with a synchronous `stat`
 * (a microsecond-scale syscall): an asynchronous one costs a round trip
 * through libuv's thread pool, where it waits behind password hashes.
 */
import { readFileSync, statSync } from 'node:fs';
import yaml from 'js-yaml';
import { unavailable } from '../errors.js';
import { ANONYMOUS_ENTRY, GROUPS_FOLDER, type GroupRecord, toGroupRecord, toUserRecord, type UserRecord, type UserStore } from './user-store.js';

type Users = Record<string, Record<string, unknown>>;

export class FileUserStore implements UserStore {
  readonly #path: string;
  #loaded: { mtimeMs: number; users: Users } | null = null;

  constructor(path: string) {
    this.#path = path;
  }

  async lookup(mount: string, account: string): Promise<UserRecord | null> {
    const service = ownMapping(await this.#users(), mount);
    if (!service || account === GROUPS_FOLDER || !Object.hasOwn(service, account)) return null;
    return toUserRecord(service[account]);
  }

  async lookupGroup(mount: string, group: string): Promise<GroupRecord | null> {
    const groups = ownMapping(ownMapping(await this.#users(), mount) ?? {}, GROUPS_FOLDER);
    return groups && Object.hasOwn(groups, group) ? toGroupRecord(groups[group]) : null;
  }

  async lookupAnonymous(mount: string): Promise<GroupRecord | null> {
    const entry = ownMapping(ownMapping(await this.#users(), mount) ?? {}, ANONYMOUS_ENTRY);
    return entry ? toGroupRecord(entry) : null;
  }

  describe(): string {
    return `user file ${this.#path}`;
  }

  async close(): Promise<void> {}

  async #users(): Promise<Users> {
    try {
      const { mtimeMs } = statSync(this.#path);
      if (this.#loaded?.mtimeMs !== mtimeMs) {
        const document = yaml.load(readFileSync(this.#path, 'utf8'));
        this.#loaded = { mtimeMs, users: isMapping(document) ? (document as Users) : {} };
      }
      return this.#loaded.users;
    } catch (error) {
      throw unavailable('the user file cannot be read', { cause: error });
    }
  }
}

/** `value[key]` when it is a mapping of the object's own (never a prototype's). */
function ownMapping(value: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const found = Object.hasOwn(value, key) ? value[key] : undefined;
  return isMapping(found) ? (found as Record<string, unknown>) : undefined;
}

function isMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
