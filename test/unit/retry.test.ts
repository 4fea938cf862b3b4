import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWait, type RetryEvent, retryWaitMs, withRetries } from '../../src/util/retry.js';

const policy = { attempts: 4, firstWaitMs: 1000, maxWaitMs: 3000 };

test('the wait doubles after each failure, up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => retryWaitMs(policy, attempt)),
    [1000, 2000, 3000, 3000, 3000],
  );
});

test('waits read as an operator writes them', () => {
  assert.deepEqual([5, 250, 1000, 1500, 30_000].map(formatWait), ['5ms', '250ms', '1s', '1.5s', '30s']);
});

test('retries a retryable failure, announcing each retry before its wait, until it succeeds', async () => {
  const seen: string[] = [];
  const result = await withRetries(
    async (attempt) => {
      seen.push(`attempt ${attempt}`);
      if (attempt < 3) throw new Error(`down ${attempt}`);
      return 'done';
    },
    policy,
    {
      retryable: () => true,
      onRetry: (event: RetryEvent) => seen.push(`retry after ${event.attempt}/${event.attempts}: ${(event.error as Error).message}, wait ${event.waitMs}`),
      wait: async (ms) => seen.push(`waited ${ms}`),
    },
  );
  assert.equal(result, 'done');
  assert.deepEqual(seen, [
    'attempt 1',
    'retry after 1/4: down 1, wait 1000',
    'waited 1000',
    'attempt 2',
    'retry after 2/4: down 2, wait 2000',
    'waited 2000',
    'attempt 3',
  ]);
});

test('a failure that is not retryable, or the last attempt, throws its error without a retry', async () => {
  const retries: number[] = [];
  const hooks = { onRetry: (event: RetryEvent) => retries.push(event.attempt), wait: async () => {} };
  await assert.rejects(
    withRetries(async () => Promise.reject(new Error('for good')), policy, { ...hooks, retryable: () => false }),
    { message: 'for good' },
  );
  assert.deepEqual(retries, []);
  let calls = 0;
  await assert.rejects(
    withRetries(
      async (attempt) => {
        calls += 1;
        throw new Error(`down ${attempt}`);
      },
      policy,
      { ...hooks, retryable: () => true },
    ),
    { message: 'down 4' },
  );
  assert.deepEqual([calls, retries], [4, [1, 2, 3]]);
});
