/**
 * Throttling of password guessing, after rate-limiter-flexible's
 * login-protection pattern: before credentials are checked, the counters of
 * the attempt are read and a blocked one answers THROTTLED (429) without
 * spending a password hash; each failed login counts on three counters
 * (src/domain/throttle.ts); the one that reaches its threshold is blocked,
 * each new block of the same key twice as long as the last (up to the
 * maximum); a successful login resets its pair's counter and lockouts.
 *
 * The throttle never fails a request itself: a store that does not answer
 * (the primary too slow, an error the insurance did not absorb) lets the
 * request through and is reported through `onError`.
 */
import { LRUCache } from 'lru-cache';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { type Attempt, blockSeconds, DIMENSIONS, type Dimension, isBlocked, retryAfterSeconds, throttleKeys } from '../domain/throttle.js';
import { AppError } from '../errors.js';
import type { CredentialGuard } from '../flow/deps.js';
import type { CounterFactory } from './counters.js';

export interface ThrottleSettings {
  /** Failures before a block, per counter; 0 turns that counter off. */
  readonly failures: Readonly<Record<Dimension, number>>;
  /** How long failures are counted (a counter is forgotten this long after its first failure). */
  readonly windowSeconds: number;
  /** The first block; each next one of the same key doubles, up to maxBlockSeconds. */
  readonly blockSeconds: number;
  readonly maxBlockSeconds: number;
}

/**
 * The settings are in the name: counters are created once per name (in the
 * primary, in Redis), so a config with other thresholds starts new ones
 * instead of inheriting the old limits.
 */
const counterName = (dimension: Dimension, points: number, windowSeconds: number): string => `vra-throttle-${dimension}-${points}-${windowSeconds}`;

/** Lockouts are remembered a day at least, so that the next block is longer even after a quiet hour. */
const MIN_LOCKOUT_MEMORY_SECONDS = 86_400;

export class LoginThrottle implements CredentialGuard {
  private readonly counters: Partial<Record<Dimension, RateLimiterAbstract>> = {};
  private readonly lockouts: RateLimiterAbstract;
  /**
   * Pairs whose check found failures: only those need a reset on success.
   * Without it every successful login would cost two more round trips to
   * the counters (the primary, or Redis) for nothing, on the hot path.
   */
  private readonly pairsWithFailures = new LRUCache<string, true>({ max: 10_000 });

  constructor(
    private readonly settings: ThrottleSettings,
    counters: CounterFactory,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    for (const dimension of DIMENSIONS) {
      const points = settings.failures[dimension];
      if (points > 0)
        this.counters[dimension] = counters({ name: counterName(dimension, points, settings.windowSeconds), points, durationSeconds: settings.windowSeconds });
    }
    this.lockouts = counters({
      name: 'vra-throttle-lockouts',
      points: Number.MAX_SAFE_INTEGER,
      durationSeconds: Math.max(MIN_LOCKOUT_MEMORY_SECONDS, settings.windowSeconds + settings.maxBlockSeconds),
    });
  }

  /** Throws THROTTLED (with Retry-After) when any counter of the attempt is blocked. */
  async check(attempt: Attempt): Promise<void> {
    const keys = throttleKeys(attempt);
    let waits: number[];
    try {
      waits = await Promise.all(
        DIMENSIONS.map(async (dimension) => {
          const counter = this.counters[dimension];
          const key = keys[dimension];
          if (!counter || key === undefined) return 0;
          const found = await counter.get(key);
          if (dimension === 'pair' && found && found.consumedPoints > 0) this.pairsWithFailures.set(key, true);
          if (!found || !isBlocked(found, counter.points)) return 0;
          // -1: no expiry (not set by us); the longest block is the honest answer.
          return found.msBeforeNext < 0 ? this.settings.maxBlockSeconds * 1000 : found.msBeforeNext;
        }),
      );
    } catch (error) {
      this.onError(error);
      return;
    }
    const waitMs = Math.max(0, ...waits);
    if (waitMs > 0) {
      const seconds = retryAfterSeconds(waitMs);
      throw new AppError('THROTTLED', `too many failed logins: try again in ${seconds} s`, { retryAfterSeconds: seconds });
    }
  }

  /** A failed login: every counter of the attempt counts it; the one reaching its threshold is blocked. */
  async recordFailure(attempt: Attempt): Promise<void> {
    const keys = throttleKeys(attempt);
    await Promise.all(
      DIMENSIONS.map(async (dimension) => {
        const counter = this.counters[dimension];
        const key = keys[dimension];
        if (!counter || key === undefined) return;
        try {
          // Over the threshold, consume rejects with the counter itself.
          const counted = await counter.consume(key).catch((over: unknown) => {
            if (over instanceof RateLimiterRes) return over;
            throw over;
          });
          // Exactly at the threshold: one failure crosses it, however many run at once.
          if (counted.consumedPoints !== counter.points) return;
          const lockouts = await this.lockouts.consume(`${dimension}\u0000${key}`);
          await counter.block(key, blockSeconds(lockouts.consumedPoints, this.settings.blockSeconds, this.settings.maxBlockSeconds));
        } catch (error) {
          this.onError(error);
        }
      }),
    );
  }

  /** A successful login: its pair starts again from zero (the other counters keep counting). */
  async recordSuccess(attempt: Attempt): Promise<void> {
    const key = throttleKeys(attempt).pair;
    const counter = this.counters.pair;
    // The check before this login found no failure for the pair: nothing to reset.
    if (!counter || key === undefined || !this.pairsWithFailures.delete(key)) return;
    try {
      await Promise.all([counter.delete(key), this.lockouts.delete(`pair\u0000${key}`)]);
    } catch (error) {
      this.onError(error);
    }
  }
}
