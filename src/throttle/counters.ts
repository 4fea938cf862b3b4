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
 */
import cluster from 'node:cluster';
import { type RateLimiterAbstract, RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
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

/** Counters in this process, or in the primary's when this is a cluster worker. */
export function localCounters(): CounterFactory {
  if (cluster.isWorker) {
    return ({ name, points, durationSeconds }) => new RateLimiterCluster({ keyPrefix: name, points, duration: durationSeconds, timeoutMs: CLUSTER_TIMEOUT_MS });
  }
  return ({ name, points, durationSeconds }) => new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
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

/**
 * In the primary of a cluster: the one holder of the workers' counters. It
 * creates each counter when a worker first asks for it.
 */
export function serveClusterCounters(): void {
  new RateLimiterClusterMaster();
}
