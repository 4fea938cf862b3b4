/**
 * The throttle's counters in memory hold at most a number of keys
 * (src/throttle/bounded-storage.ts), in this process and in a cluster's
 * primary, and a flood of made-up names evicts the counters with the fewest
 * failures first, never a victim's. Counts, not memory measurements.
 */
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { test } from 'node:test';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { isAppError } from '../../src/errors.js';
import { ServerEvents } from '../../src/events.js';
import { throttleDecisions } from '../../src/observers/throttle-decisions.js';
import { BoundedMemoryStorage, boundLimiter, keysHeld, MAX_COUNTER_KEYS } from '../../src/throttle/bounded-storage.js';
import { type CounterFactory, localCounters, serveClusterCounters } from '../../src/throttle/counters.js';
import { LoginThrottle, type ThrottleSettings } from '../../src/throttle/login-throttle.js';

const DEFAULTS: ThrottleSettings = { failures: { pair: 5, client: 30, account: 100 }, windowSeconds: 900, blockSeconds: 60, maxBlockSeconds: 3600 };

/** localCounters, remembering each counter it made by name. */
function recordingCounters(maxKeys: number): { factory: CounterFactory; sizes: () => Record<string, number | null> } {
  const made = new Map<string, unknown>();
  const inner = localCounters(maxKeys);
  return {
    factory: (options) => {
      const counter = inner(options);
      made.set(options.name.replace(/^vra-throttle-(\w+).*$/u, '$1'), counter);
      return counter;
    },
    sizes: () => Object.fromEntries([...made].map(([name, counter]) => [name, keysHeld(counter)])),
  };
}

/** A denied password login, as the token endpoint emits it. */
function denied(events: ServerEvents, client: string, account: string): void {
  const decision = {
    requestId: 'r',
    client,
    method: 'GET',
    service: 'registry',
    account,
    grant: 'password',
    requested: [],
    granted: [],
    durationMs: 1,
  } as const;
  events.emit('token.denied', { ...decision, reason: 'UNAUTHORIZED', status: 401 });
}

async function isThrottled(throttle: LoginThrottle, client: string, account: string): Promise<boolean> {
  try {
    await throttle.check({ client, service: 'registry', account });
    return false;
  } catch (error) {
    if (isAppError(error, 'THROTTLED')) return true;
    throw error;
  }
}

/** Lets the counting that the events started finish (each failure is a few resolved promises). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('the default bound is 50,000 keys per counter', () => {
  assert.equal(MAX_COUNTER_KEYS, 50_000);
  assert.equal(new BoundedMemoryStorage().maxKeys, 50_000);
});

test('a bounded counter counts, blocks, expires and deletes as the library’s own', async () => {
  const plain = new RateLimiterMemory({ points: 3, duration: 60 });
  const bounded = boundLimiter(new RateLimiterMemory({ points: 3, duration: 60 }), 10);
  const outcome = async (limiter: RateLimiterMemory, key: string) =>
    limiter.consume(key).then(
      (res) => ['ok', res.consumedPoints, res.remainingPoints, res.isFirstInDuration],
      (res: unknown) => ['over', (res as RateLimiterRes).consumedPoints, res instanceof RateLimiterRes],
    );
  for (let i = 0; i < 5; i += 1) assert.deepEqual(await outcome(bounded, 'k'), await outcome(plain, 'k'));
  assert.equal((await bounded.get('k'))?.consumedPoints, 5);
  await bounded.block('k', 30);
  const blocked = await bounded.get('k');
  assert.equal(blocked?.consumedPoints, 4);
  assert.ok(blocked && blocked.msBeforeNext > 0 && blocked.msBeforeNext <= 30_000);
  assert.equal(await bounded.delete('k'), true);
  assert.equal(await bounded.get('k'), null);
  assert.equal(await bounded.delete('k'), false);
  // A 1 s window ends: the key is gone, and a new failure starts from one.
  const short = boundLimiter(new RateLimiterMemory({ points: 3, duration: 1 }), 10);
  await short.consume('k');
  await short.consume('other');
  await short.block('blocked', 60);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(await short.get('k'), null);
  assert.equal(keysHeld(short), 2);
  assert.equal((await short.consume('k')).consumedPoints, 1);
  // Keys whose window ended are dropped when a new one is counted, without being asked for.
  assert.equal(keysHeld(short), 2);
  assert.equal((await short.get('blocked'))?.consumedPoints, 4);
});

test('full: the key with the fewest failures goes first, the earliest of them; blocked keys last', async () => {
  const limiter = boundLimiter(new RateLimiterMemory({ points: 5, duration: 60 }), 3);
  for (let i = 0; i < 3; i += 1) await limiter.consume('victim');
  await limiter.consume('junk-1');
  await limiter.consume('junk-2');
  await limiter.consume('junk-3');
  assert.equal(keysHeld(limiter), 3);
  assert.equal(await limiter.get('junk-1'), null, 'the earliest of the one-failure keys went');
  await limiter.consume('junk-2');
  await limiter.consume('junk-4');
  assert.equal(await limiter.get('junk-3'), null, 'junk-2 now has two failures: junk-3 went');
  assert.equal((await limiter.get('victim'))?.consumedPoints, 3);
  await limiter.block('victim', 60);
  for (let i = 0; i < 1000; i += 1) await limiter.consume(`flood-${i}`);
  assert.equal(keysHeld(limiter), 3);
  assert.equal((await limiter.get('victim'))?.consumedPoints, 6, 'a blocked key stays');
});

test('a flood of 50,000 distinct unknown users from distinct addresses: every counter stays at its bound, and a victim’s counters are kept', async () => {
  const bound = 5_000;
  const { factory, sizes } = recordingCounters(bound);
  const throttle = new LoginThrottle({ ...DEFAULTS, failures: { pair: 3, client: 30, account: 4 } }, factory);
  const events = new ServerEvents();
  const stop = throttleDecisions(events, throttle);
  // Before the flood: two wrong passwords for alice, from two addresses.
  denied(events, '10.9.0.1', 'alice');
  denied(events, '10.9.0.2', 'alice');
  for (let i = 0; i < 50_000; i += 1) {
    // A botnet: each address tries a few made-up names, staying under its own threshold.
    denied(events, `2001:db8::${Math.floor(i / 5).toString(16)}`, `nobody-${i}`);
    if (i % 1000 === 999) await settle();
  }
  await settle();
  assert.deepEqual(sizes(), { pair: bound, client: bound, account: bound, lockouts: 0 });
  // alice's account counter (2 failures) outlived 50,000 one-failure names: two more failures block her account.
  denied(events, '10.9.0.3', 'alice');
  await settle();
  assert.equal(await isThrottled(throttle, '10.9.0.5', 'alice'), false);
  denied(events, '10.9.0.4', 'alice');
  await settle();
  assert.equal(await isThrottled(throttle, '10.9.0.5', 'alice'), true);
  assert.deepEqual(sizes(), { pair: bound, client: bound, account: bound, lockouts: 1 });
  stop();
});

test('in a cluster’s primary, the workers’ counters are bounded too (the library’s own primary, fed worker messages)', async () => {
  const counters = serveClusterCounters(1_000);
  const answers: { promiseId?: string; type: string }[] = [];
  const worker = { send: (message: { promiseId?: string; type: string }) => answers.push(message) };
  const channel = 'rate_limiter_flexible';
  const opts = { points: 5, duration: 900, blockDuration: 0, execEvenly: false, execEvenlyMinDelayMs: 1, keyPrefix: 'bounded-test' };
  cluster.emit('message', worker, { channel, type: 'init', opts });
  assert.deepEqual(answers.splice(0), [{ channel, type: 'init', keyPrefix: 'bounded-test' }]);
  for (let i = 0; i < 50_000; i += 1) {
    cluster.emit('message', worker, {
      channel,
      keyPrefix: 'bounded-test',
      func: 'consume',
      promiseId: String(i),
      data: { key: `nobody-${i}`, arg: 1, opts: {} },
    });
  }
  await settle();
  assert.equal(answers.length, 50_000);
  assert.ok(answers.every((answer) => answer.type === 'resolve'));
  const counter = counters().find((limiter) => (limiter as unknown as { keyPrefix: string }).keyPrefix === 'bounded-test');
  assert.equal(keysHeld(counter), 1_000);
});
