/**
 * The throttle as `serve` runs it: counters where the config and the
 * process say (src/throttle/counters.ts), fed by the token decisions, and a
 * guard for the token flow. Never in the way: its errors are logged (rate
 * limited) and the request goes on.
 */
import type { Logger } from 'winston';
import type { ThrottleConfig } from '../config/config.js';
import type { ServerEvents } from '../events.js';
import type { CredentialGuard } from '../flow/deps.js';
import { throttleDecisions } from '../observers/throttle-decisions.js';
import type { Clock } from '../util/clock.js';
import { limitedLog } from '../util/log-limiter.js';
import { localCounters, redisCounters } from './counters.js';
import { LoginThrottle, type ThrottleSettings } from './login-throttle.js';
import { connectRedis } from './redis.js';

export interface RunningThrottle {
  readonly guard: CredentialGuard;
  close(): Promise<void>;
}

export async function startThrottle(
  config: ThrottleConfig,
  {
    events,
    clock,
    logger,
    isCiName,
  }: {
    events: ServerEvents;
    clock: Clock;
    logger: Logger;
    /** Whether a name is a service's CI login name (see throttle-decisions.ts). */
    isCiName?: (service: string, account: string) => boolean;
  },
): Promise<RunningThrottle | null> {
  if (!config.enabled) return null;
  const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
  const settings: ThrottleSettings = {
    failures: config.failures,
    windowSeconds: seconds(config.windowMs),
    blockSeconds: seconds(config.blockMs),
    maxBlockSeconds: seconds(config.maxBlockMs),
  };
  const redis = config.redis ? await connectRedis(config.redis.url, { events, clock }) : null;
  const limited = limitedLog(clock, (kind, count) => logger.warn('similar log lines suppressed', { kind, count }));
  const throttle = new LoginThrottle(settings, redis ? redisCounters(redis) : localCounters(), (error) =>
    limited('throttle-error', () =>
      logger.warn('the throttle could not count or check a login: let through', { reason: (error as Error)?.message ?? String(error) }),
    ),
  );
  const stopListening = throttleDecisions(events, throttle, isCiName);
  return {
    guard: throttle,
    async close() {
      stopListening();
      await redis?.close();
    },
  };
}
