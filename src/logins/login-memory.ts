/**
 * Successful directory and CI logins, remembered for the user cache's TTL so
 * that a CI burst of fifty token requests makes one Vault login, not fifty.
 *
 * The same rule as remembered password checks (src/passwords/verifier.ts):
 * the key is a keyed hash (HMAC, key made at start) of the service, the way,
 * the name and the password or JWT, so nothing reusable sits in memory and a
 * new password misses at once; failures are never remembered; identical
 * logins that arrive while one is running share it; at most `max` entries,
 * least recently used evicted first.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../util/clock.js';

export interface LoginMemorySettings {
  /** How long a successful login is remembered (0: never; running logins are still shared). */
  readonly ttlMs: number;
  readonly max: number;
  readonly clock: Clock;
}

export class LoginMemory<T extends object> {
  readonly #settings: LoginMemorySettings;
  readonly #key = randomBytes(32);
  readonly #remembered: LRUCache<string, { value: T; until: number }>;
  readonly #running = new Map<string, Promise<T | null>>();

  constructor(settings: LoginMemorySettings) {
    this.#settings = settings;
    this.#remembered = new LRUCache({ max: Math.max(1, settings.max) });
  }

  /** How many logins are remembered now (for tests). */
  get size(): number {
    return this.#remembered.size;
  }

  /**
   * The remembered result of the login `parts` name, or `run()`'s. A result
   * is kept until `now + ttlMs`, or `expiresAt` (ms) when that is sooner
   * (a CI token must not outlive its own expiry here).
   */
  async remember(parts: readonly string[], run: () => Promise<{ value: T; expiresAt?: number } | null>): Promise<T | null> {
    const key = createHmac('sha256', this.#key).update(parts.join('\0')).digest('base64');
    const now = this.#settings.clock.now();
    const found = this.#remembered.get(key);
    if (found !== undefined && now < found.until) return found.value;
    const running = this.#running.get(key);
    if (running) return running;
    const login = run()
      .then((result) => {
        if (result === null) return null;
        const until = Math.min(this.#settings.clock.now() + this.#settings.ttlMs, result.expiresAt ?? Number.POSITIVE_INFINITY);
        if (this.#settings.ttlMs > 0 && until > this.#settings.clock.now()) this.#remembered.set(key, { value: result.value, until });
        return result.value;
      })
      .finally(() => this.#running.delete(key));
    this.#running.set(key, login);
    return login;
  }
}
