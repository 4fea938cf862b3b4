/**
 * The throttle's counters in memory, bounded by a number of keys.
 *
 * rate-limiter-flexible's RateLimiterMemory keeps every key it counted until
 * its window ends: a flood of failed logins with distinct made-up accounts
 * (from many addresses: a botnet, an IPv6 prefix) leaves one `pair` and one
 * `account` counter per name for 15 minutes, and a lockout per block for a
 * day; nothing but time bounds them. This store has the library's
 * MemoryStorage interface (so the limiter's arithmetic stays the library's)
 * and holds at most `maxKeys` keys.
 *
 * Which key goes when it is full matters: evicting a counter forgets its
 * failures, so the plain LRU choice would let an attacker wipe a victim's
 * `account` counter with a burst of junk names and guess on. Instead the key
 * with the FEWEST failures goes first (among those, the one that reached its
 * count earliest). Junk names carry one failure each and go first; to evict
 * a counter that holds c failures an attacker must first bring every one of
 * the `maxKeys` counters to c failures or more, `maxKeys × c` failed logins
 * (each one a password hash, each one counted against its address), for
 * c more guesses. A blocked key holds the threshold + 1 and is among the last
 * to go.
 */
import { type RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Keys per counter (pair, client, account, lockouts): about 360 bytes each,
 * so at most ~18 MB a counter, ~72 MB for the four when an attack fills them
 * all. Junk evicted first, a large bound only raises the cost of evicting a
 * real counter; it need not hold every name of a flood.
 */
export const MAX_COUNTER_KEYS = 50_000;

interface Counted {
  value: number;
  /** Epoch ms; null: no expiry. */
  expiresAt: number | null;
  /** What it was set for: its place among the keys that expire in the same order. */
  durationMs: number;
}

export class BoundedMemoryStorage {
  readonly maxKeys: number;
  /** Named as the library's: RateLimiterMemory.dump() reads it. */
  readonly _storage = new Map<string, Counted>();
  /** count → its keys, in the order they reached it: the eviction order. */
  readonly #byCount = new Map<number, Set<string>>();
  /**
   * duration → the keys set for it, in the order they were set: each set is
   * in expiry order, so the expired ones are at its front. A timer per key
   * (the library's way) would cost more memory than the key itself.
   */
  readonly #byDuration = new Map<number, Set<string>>();

  constructor(maxKeys: number = MAX_COUNTER_KEYS) {
    this.maxKeys = Math.max(1, maxKeys);
  }

  /** Keys held, the expired ones not yet dropped included. */
  get size(): number {
    return this._storage.size;
  }

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = Date.now();
    const record = this.#live(key, now);
    if (!record) return this.#set(key, value, durationSec, now);
    this.#recount(key, record, record.value + value);
    return new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - now, record.value, false);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    return this.#set(key, value, durationSec, Date.now());
  }

  get(key: string): RateLimiterRes | null {
    const now = Date.now();
    const record = this.#live(key, now);
    return record ? new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - now, record.value, false) : null;
  }

  delete(key: string): boolean {
    const record = this._storage.get(key);
    if (!record) return false;
    this._storage.delete(key);
    this.#unindex(this.#byCount, record.value, key);
    if (record.expiresAt !== null) this.#unindex(this.#byDuration, record.durationMs, key);
    return true;
  }

  #set(key: string, value: number, durationSec: number, now: number): RateLimiterRes {
    const durationMs = durationSec * 1000;
    this.#dropExpired(now);
    if (!this.delete(key)) this.#makeRoom();
    const record: Counted = { value, expiresAt: durationMs > 0 ? now + durationMs : null, durationMs };
    this._storage.set(key, record);
    this.#index(this.#byCount, value, key);
    if (record.expiresAt !== null) this.#index(this.#byDuration, durationMs, key);
    return new RateLimiterRes(0, durationMs === 0 ? -1 : durationMs, value, true);
  }

  /** The key's record unless its time is over (then it is dropped, as the library's timer would have). */
  #live(key: string, now: number): Counted | undefined {
    const record = this._storage.get(key);
    if (record?.expiresAt != null && record.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return record;
  }

  #recount(key: string, record: Counted, value: number): void {
    this.#unindex(this.#byCount, record.value, key);
    record.value = value;
    this.#index(this.#byCount, value, key);
  }

  /** The front of each duration's keys, while expired: amortised, each key is dropped once. */
  #dropExpired(now: number): void {
    for (const keys of [...this.#byDuration.values()]) {
      for (const key of keys) {
        const expiresAt = this._storage.get(key)?.expiresAt;
        if (expiresAt != null && expiresAt > now) break;
        this.delete(key);
      }
    }
  }

  /** Before a new key: the fewest-failures key goes while full. Counts are few (thresholds are small), so the scan is short. */
  #makeRoom(): void {
    while (this._storage.size >= this.maxKeys) {
      let fewest = Number.POSITIVE_INFINITY;
      for (const count of this.#byCount.keys()) fewest = Math.min(fewest, count);
      const oldest = this.#byCount.get(fewest)?.values().next().value;
      if (oldest === undefined) return;
      this.delete(oldest);
    }
  }

  #index(index: Map<number, Set<string>>, at: number, key: string): void {
    let keys = index.get(at);
    if (!keys) {
      keys = new Set();
      index.set(at, keys);
    }
    keys.add(key);
  }

  #unindex(index: Map<number, Set<string>>, at: number, key: string): void {
    const keys = index.get(at);
    keys?.delete(key);
    if (keys?.size === 0) index.delete(at);
  }
}

interface WithStorage {
  _memoryStorage: unknown;
}

/**
 * Puts a bounded store in a RateLimiterMemory that has counted nothing yet.
 * The library has no option for its store; it reads `_memoryStorage` in every
 * method, so swapping that field is all it takes (the tests check that the
 * bound holds through the limiter's own methods, and would fail on an upgrade
 * that renamed it). Idempotent.
 */
export function boundLimiter<T extends RateLimiterMemory>(limiter: T, maxKeys: number = MAX_COUNTER_KEYS): T {
  const target = limiter as unknown as WithStorage;
  if (!(target._memoryStorage instanceof BoundedMemoryStorage)) target._memoryStorage = new BoundedMemoryStorage(maxKeys);
  return limiter;
}

/** How many keys a limiter holds, when it is one in this process with a bounded store (for tests, the benchmark). */
export function keysHeld(limiter: unknown): number | null {
  const storage = (limiter as Partial<WithStorage> | null)?._memoryStorage;
  return storage instanceof BoundedMemoryStorage ? storage.size : null;
}
