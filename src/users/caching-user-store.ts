/**
 * A user cache in front of any user store, with bounded staleness:
 *
 * - an entry is served for `ttlMs` (a user not found, for `negativeTtlMs`,
 *   so a flood of made-up names cannot flood Vault);
 * - concurrent misses for the same user wait on one lookup (coalescing);
 * - when the store is unavailable, a user found earlier keeps being served
 *   for at most `staleMs` past its TTL (0: never); everyone else gets the
 *   store's UNAVAILABLE;
 * - at most `maxEntries` users, least recently used evicted first; names
 *   not found are remembered apart, at most `maxEntries` of them too, so a
 *   flood of made-up names (each a miss anyway) can never push a real user
 *   out, nor out of the stale window that serves them while the store is
 *   down.
 *
 * So a user deleted or changed in the store is seen at most `ttlMs` later,
 * or `ttlMs + staleMs` later while the store is unavailable.
 */
import { LRUCache } from 'lru-cache';
import { isAppError } from '../errors.js';
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';
import type { GroupRecord, UserRecord, UserStore } from './user-store.js';

export interface UserCacheSettings {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly staleMs: number;
  readonly maxEntries: number;
}

interface Entry {
  readonly record: UserRecord | GroupRecord | null;
  readonly fetchedAt: number;
}

export class CachingUserStore implements UserStore {
  readonly #inner: UserStore;
  readonly #settings: UserCacheSettings;
  readonly #clock: Clock;
  readonly #events: ServerEvents | undefined;
  /** Users and groups found. */
  readonly #entries: LRUCache<string, Entry>;
  /** Names not found: a key is in one of the two at most. */
  readonly #absent: LRUCache<string, Entry>;
  readonly #inFlight = new Map<string, Promise<UserRecord | GroupRecord | null>>();

  constructor(inner: UserStore, settings: UserCacheSettings, clock: Clock, events?: ServerEvents) {
    this.#inner = inner;
    this.#settings = settings;
    this.#clock = clock;
    this.#events = events;
    this.#entries = new LRUCache({ max: settings.maxEntries });
    this.#absent = new LRUCache({ max: settings.maxEntries });
  }

  /** How many users, groups and names not found are cached now (for tests and, later, metrics). */
  get size(): number {
    return this.#entries.size + this.#absent.size;
  }

  /** How many of them are names not found. */
  get absentSize(): number {
    return this.#absent.size;
  }

  lookup(mount: string, account: string): Promise<UserRecord | null> {
    return this.#cached(`u\u0000${mount}\u0000${account}`, mount, () => this.#inner.lookup(mount, account)) as Promise<UserRecord | null>;
  }

  /** Groups are cached like users: same TTLs, same stale window. */
  lookupGroup(mount: string, group: string): Promise<GroupRecord | null> {
    return this.#cached(`g\u0000${mount}\u0000${group}`, mount, () => this.#inner.lookupGroup(mount, group)) as Promise<GroupRecord | null>;
  }

  lookupAnonymous(mount: string): Promise<GroupRecord | null> {
    return this.#cached(`a\u0000${mount}`, mount, () => this.#inner.lookupAnonymous(mount)) as Promise<GroupRecord | null>;
  }

  async #cached(key: string, mount: string, fetch: () => Promise<UserRecord | GroupRecord | null>): Promise<UserRecord | GroupRecord | null> {
    const entry = this.#entries.get(key) ?? this.#absent.get(key);
    const age = entry ? this.#clock.now() - entry.fetchedAt : Number.POSITIVE_INFINITY;
    if (entry && age < (entry.record ? this.#settings.ttlMs : this.#settings.negativeTtlMs)) {
      this.#events?.emit('cache.lookup', { result: 'hit' });
      return entry.record;
    }

    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = fetch()
        .then((record) => {
          const entry = { record, fetchedAt: this.#clock.now() };
          // A user deleted from the store leaves the found ones: never served stale after that.
          (record ? this.#absent : this.#entries).delete(key);
          (record ? this.#entries : this.#absent).set(key, entry);
          return record;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    try {
      const record = await pending;
      this.#events?.emit('cache.lookup', { result: 'miss' });
      return record;
    } catch (error) {
      const current = this.#entries.peek(key);
      const stillUsable = current?.record && this.#clock.now() - current.fetchedAt < this.#settings.ttlMs + this.#settings.staleMs;
      if (isAppError(error, 'UNAVAILABLE') && stillUsable) {
        this.#events?.emit('cache.stale_served', { service: mount });
        this.#events?.emit('cache.lookup', { result: 'stale' });
        return current.record;
      }
      this.#events?.emit('cache.lookup', { result: 'miss' });
      throw error;
    }
  }

  describe(): string {
    return `${this.#inner.describe()}, cached ${this.#settings.ttlMs / 1000} s`;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
