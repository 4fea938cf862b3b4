/**
 * Time, passed in: caches, the circuit breaker and token renewal read the
 * clock through this, so tests control time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
