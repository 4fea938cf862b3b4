/**
 * The throttle's connection to Redis (`throttle.redis.url`). Redis being
 * slow or gone must never hold a token request: no offline queue (a command
 * while disconnected fails at once), a short command deadline, and the
 * counters fall back to their local insurance (src/throttle/counters.ts).
 * An outage is told once (`throttle.redis_lost`), and its end once
 * (`throttle.redis_back`). The URL's password is never told: only host,
 * port and database.
 */
import { Redis } from 'ioredis';
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';

export interface RedisConnection {
  readonly client: Redis;
  /** host:port/db, for the log: never the password. */
  readonly address: string;
  close(): Promise<void>;
}

/** A command slower than this goes to the insurance counter instead. */
const COMMAND_TIMEOUT_MS = 500;
/** How long the start waits for the first connection (requests meanwhile use the insurance). */
const FIRST_CONNECT_MS = 2_000;

export async function connectRedis(url: string, { events, clock }: { events: ServerEvents; clock: Clock }): Promise<RedisConnection> {
  const address = describeRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: FIRST_CONNECT_MS,
    maxRetriesPerRequest: 0,
    // Try again for as long as the server runs, at most every 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  let lostAt: number | null = null;
  let closing = false;
  const lost = (reason: string): void => {
    if (lostAt !== null) return;
    lostAt = clock.now();
    events.emit('throttle.redis_lost', { address, reason });
  };
  // Without an 'error' listener, ioredis' reconnection errors would crash the process.
  client.on('error', (error: NodeJS.ErrnoException) => lost(error.code ?? error.message));
  client.on('close', () => {
    if (!closing) lost('connection closed');
  });
  client.on('ready', () => {
    if (lostAt === null) return;
    const downForMs = clock.now() - lostAt;
    lostAt = null;
    events.emit('throttle.redis_back', { address, downForMs });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.connect().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FIRST_CONNECT_MS);
    }),
  ]);
  clearTimeout(timer);
  return {
    client,
    address,
    async close() {
      closing = true;
      client.disconnect();
    },
  };
}

/** `redis://user:secret@host:6379/2` → `host:6379/2`. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const db = parsed.pathname.replace(/^\//u, '') || '0';
    return `${parsed.hostname}:${parsed.port || '6379'}/${db}`;
  } catch {
    return '(not a URL)';
  }
}
