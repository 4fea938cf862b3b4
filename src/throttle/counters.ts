/**
 * Where the throttle's counters live, chosen once at start:
 *
 * - one process: in its memory (RateLimiterMemory);
 * - a cluster worker: in the primary's memory, through rate-limiter-flexible's
 *   cluster IPC (RateLimiterCluster here, RateLimiterClusterMaster in the
 *   primary), so that N workers do not give an attacker N times the guesses;
 * - with `throttle.redis.url`: in Redis, shared by every replica, with the
 *   local counters above as the insurance while Redis is unreachable (the
 *   server keeps answering; each replica then counts on its own).
 *
 * Counters in memory (here or in the primary) hold at most MAX_COUNTER_KEYS
 * keys each (src/throttle/bounded-storage.ts): a flood of made-up names
 * cannot grow them without end. Redis keys expire with their window; what
 * Redis holds meanwhile is bounded by its own `maxmemory`.
 */
import cluster from 'node:cluster';
import { type RateLimiterAbstract, RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { boundLimiter, MAX_COUNTER_KEYS } from './bounded-storage.js';
import type { RedisConnection } from './redis.js';

export interface CounterOptions {
  /** Unique per counter: the key prefix in Redis and the limiter's name in the primary. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
}

export type CounterFactory = (options: CounterOptions) => RateLimiterAbstract;

/** How long a worker waits for the primary's answer before the throttle lets the request through. */
const CLUSTER_TIMEOUT_MS = 2_000;

/** Counters in this process (at most `maxKeys` keys each), or in the primary's when this is a cluster worker. */
export function localCounters(maxKeys: number = MAX_COUNTER_KEYS): CounterFactory {
  if (cluster.isWorker) {
    return ({ name, points, durationSeconds }) => new RateLimiterCluster({ keyPrefix: name, points, duration: durationSeconds, timeoutMs: CLUSTER_TIMEOUT_MS });
  }
  return ({ name, points, durationSeconds }) => boundLimiter(new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }), maxKeys);
}

/** Counters in Redis, each insured by a local one. */
export function redisCounters(redis: RedisConnection, insurance: CounterFactory = localCounters()): CounterFactory {
  return (options) =>
    new RateLimiterRedis({
      storeClient: redis.client,
      keyPrefix: options.name,
      points: options.points,
      duration: options.durationSeconds,
      // Not connected: straight to the insurance, never a wait in the offline queue.
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance(options),
    });
}

/** The message channel of rate-limiter-flexible's cluster counters (lib/RateLimiterCluster.js). */
const CLUSTER_CHANNEL = 'rate_limiter_flexible';

/**
 * In the primary of a cluster: the one holder of the workers' counters. It
 * creates each counter (a RateLimiterMemory) when a worker first asks for
 * it, in its own listener of the workers' messages; ours, added after it,
 * runs right after and bounds the new counter before any count reaches it
 * (a worker counts only once the primary answered its `init`). Returns the
 * counters, for tests.
 */
export function serveClusterCounters(maxKeys: number = MAX_COUNTER_KEYS): () => readonly RateLimiterMemory[] {
  const primary = new RateLimiterClusterMaster() as unknown as { _rateLimiters: Record<string, RateLimiterMemory> };
  const counters = (): RateLimiterMemory[] => Object.values(primary._rateLimiters);
  cluster.on('message', (_worker, message: { channel?: unknown; type?: unknown } | null) => {
    if (message?.channel === CLUSTER_CHANNEL && message.type === 'init') for (const counter of counters()) boundLimiter(counter, maxKeys);
  });
  return counters;
}
