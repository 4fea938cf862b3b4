/**
 * Trying an operation again after a failure that may pass (a server still
 * starting, a connection refused), waiting longer each time. Every retry is
 * announced through `onRetry` before the wait, so an operator watching an
 * init container sees what it is waiting for instead of silence.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included (1: no retry). */
  readonly attempts: number;
  /** The wait after the first failure; it doubles after each further one… */
  readonly firstWaitMs: number;
  /** …up to this. */
  readonly maxWaitMs: number;
}

export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
  readonly attempts: number;
  readonly waitMs: number;
  readonly error: unknown;
}

export interface RetryHooks {
  /** Whether a failure is worth another attempt; false ends at once. */
  readonly retryable: (error: unknown) => boolean;
  readonly onRetry: (event: RetryEvent) => void;
  /** The wait between attempts; a test may pass its own. */
  readonly wait?: (ms: number) => Promise<unknown>;
}

/** The wait after failed attempt `attempt` (1-based): firstWaitMs, doubled each time, capped. */
export function retryWaitMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** (attempt - 1));
}

/** Runs `operation` until it succeeds, a failure is not retryable, or the attempts are used up (then its last error is thrown). */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  const wait = hooks.wait ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !hooks.retryable(error)) throw error;
      const waitMs = retryWaitMs(policy, attempt);
      hooks.onRetry({ attempt, attempts: policy.attempts, waitMs, error });
      await wait(waitMs);
    }
  }
}

/** A wait as an operator reads it: `250ms`, `1s`, `1.5s`, `30s`. */
export function formatWait(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}
