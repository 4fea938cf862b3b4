/**
 * The throttle's pure parts (keys, block lengths, Retry-After), the
 * LoginThrottle on in-memory counters, the password grant refusing a blocked
 * attempt before any hash, and the `throttle` / `http.trusted_proxies` config.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { blockSeconds, isBlocked, retryAfterSeconds, throttleKeys } from '../../src/domain/throttle.js';
import { isTrustedProxy } from '../../src/domain/trusted-proxies.js';
import { AppError, isAppError } from '../../src/errors.js';
import type { FlowDeps } from '../../src/flow/deps.js';
import { passwordGrant } from '../../src/flow/grants/password.js';
import { localCounters } from '../../src/throttle/counters.js';
import { LoginThrottle } from '../../src/throttle/login-throttle.js';
import { describeRedisUrl } from '../../src/throttle/redis.js';
import { configProblems } from '../helpers/config-problems.js';

test('throttleKeys: the pair and account counters need the account; the client counter always counts', () => {
  assert.deepEqual(throttleKeys({ client: '10.0.0.1', service: 'registry', account: 'alice' }), {
    client: '10.0.0.1',
    account: 'registry\u0000alice',
    pair: '10.0.0.1\u0000registry\u0000alice',
  });
  assert.deepEqual(throttleKeys({ client: '10.0.0.1', service: 'registry' }), { client: '10.0.0.1' });
  assert.deepEqual(throttleKeys({ client: '10.0.0.1', service: 'registry', account: '' }), { client: '10.0.0.1' });
});

test('throttleKeys: the account is case-folded, so MOZART and Mozart share the counters of mozart (LDAP takes either)', () => {
  assert.deepEqual(throttleKeys({ client: '10.0.0.1', service: 'registry', account: 'MoZart' }), {
    client: '10.0.0.1',
    account: 'registry\u0000mozart',
    pair: '10.0.0.1\u0000registry\u0000mozart',
  });
});

test('blockSeconds doubles with each lockout, up to the maximum', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => blockSeconds(n, 60, 3600)),
    [60, 120, 240, 480, 960, 1920, 3600],
  );
  assert.equal(blockSeconds(0, 60, 3600), 60);
  assert.equal(blockSeconds(1_000, 60, 3600), 3600);
});

test('isBlocked: at or over the threshold with time left; retryAfterSeconds rounds up, at least 1', () => {
  assert.equal(isBlocked(null, 3), false);
  assert.equal(isBlocked({ consumedPoints: 2, msBeforeNext: 5000 }, 3), false);
  assert.equal(isBlocked({ consumedPoints: 3, msBeforeNext: 5000 }, 3), true);
  assert.equal(isBlocked({ consumedPoints: 4, msBeforeNext: 1 }, 3), true);
  assert.equal(isBlocked({ consumedPoints: 4, msBeforeNext: 0 }, 3), false);
  assert.deepEqual([1, 999, 1000, 1001, 59_001, 0].map(retryAfterSeconds), [1, 1, 1, 2, 60, 1]);
});

const settings = { failures: { pair: 3, client: 5, account: 4 }, windowSeconds: 60, blockSeconds: 30, maxBlockSeconds: 120 };

async function throttledSeconds(throttle: LoginThrottle, attempt: Parameters<LoginThrottle['check']>[0]): Promise<number | null> {
  try {
    await throttle.check(attempt);
    return null;
  } catch (error) {
    assert.ok(isAppError(error, 'THROTTLED'), String(error));
    return (error as AppError).retryAfterSeconds ?? -1;
  }
}

test('LoginThrottle: the pair blocks after its threshold, for the block length; other pairs go on', async () => {
  const throttle = new LoginThrottle(settings, localCounters());
  const alice = { client: '10.0.0.1', service: 'registry', account: 'alice' };
  for (let i = 0; i < 2; i += 1) await throttle.recordFailure(alice);
  assert.equal(await throttledSeconds(throttle, alice), null);
  await throttle.recordFailure(alice);
  assert.equal(await throttledSeconds(throttle, alice), 30);
  assert.equal(await throttledSeconds(throttle, { ...alice, client: '10.0.0.2' }), null);
  assert.equal(await throttledSeconds(throttle, { ...alice, account: 'bob' }), null);
});

test('LoginThrottle: a success resets the pair; the client counter keeps counting across accounts', async () => {
  const throttle = new LoginThrottle({ ...settings, failures: { pair: 3, client: 5, account: 10 } }, localCounters());
  const client = '10.0.0.3';
  const alice = { client, service: 'registry', account: 'alice' };
  for (let i = 0; i < 2; i += 1) await throttle.recordFailure(alice);
  // As in the server: the check before the login sees the pair's failures, so the success resets them.
  await throttle.check(alice);
  await throttle.recordSuccess(alice);
  for (let i = 0; i < 2; i += 1) await throttle.recordFailure(alice);
  assert.equal(await throttledSeconds(throttle, alice), null);
  // Five failures from one address, over accounts: the address is blocked, whoever it claims to be.
  await throttle.recordFailure({ client, service: 'registry', account: 'bob' });
  assert.equal(await throttledSeconds(throttle, { client, service: 'registry', account: 'carol' }), 30);
  assert.equal(await throttledSeconds(throttle, { client, service: 'registry' }), 30);
});

test('LoginThrottle: a success whose check saw no failure of its pair resets nothing (no round trip on the hot path)', async () => {
  const throttle = new LoginThrottle({ ...settings, failures: { pair: 3, client: 0, account: 0 } }, localCounters());
  const alice = { client: '10.0.0.9', service: 'registry', account: 'alice' };
  await throttle.check(alice);
  // A failure recorded after the check (another request) is not reset by this success.
  for (let i = 0; i < 2; i += 1) await throttle.recordFailure(alice);
  await throttle.recordSuccess(alice);
  await throttle.recordFailure(alice);
  assert.equal(await throttledSeconds(throttle, alice), 30);
});

test('LoginThrottle: one account from many addresses blocks the account (the distributed-guessing counter)', async () => {
  const throttle = new LoginThrottle(settings, localCounters());
  for (let i = 0; i < 4; i += 1) await throttle.recordFailure({ client: `10.1.0.${i}`, service: 'registry', account: 'dave' });
  assert.equal(await throttledSeconds(throttle, { client: '10.1.0.99', service: 'registry', account: 'dave' }), 30);
  assert.equal(await throttledSeconds(throttle, { client: '10.1.0.99', service: 'other', account: 'dave' }), null);
});

test('LoginThrottle: a threshold of 0 turns that counter off', async () => {
  const throttle = new LoginThrottle({ ...settings, failures: { pair: 3, client: 5, account: 0 } }, localCounters());
  for (let i = 0; i < 6; i += 1) await throttle.recordFailure({ client: `10.2.0.${i}`, service: 'registry', account: 'erin' });
  assert.equal(await throttledSeconds(throttle, { client: '10.2.0.99', service: 'registry', account: 'erin' }), null);
});

test('LoginThrottle: a store that fails lets the request through and reports the error', async () => {
  const errors: unknown[] = [];
  const broken = () => {
    const fail = () => Promise.reject(new Error('store down'));
    return { points: 3, get: fail, consume: fail, block: fail, delete: fail } as unknown as ReturnType<ReturnType<typeof localCounters>>;
  };
  const throttle = new LoginThrottle(settings, broken, (error) => errors.push(error));
  const attempt = { client: '10.3.0.1', service: 'registry', account: 'alice' };
  await throttle.recordFailure(attempt);
  assert.equal(await throttledSeconds(throttle, attempt), null);
  assert.deepEqual(
    errors.map((error) => (error as Error).message),
    ['store down', 'store down', 'store down', 'store down'],
  );
});

test('passwordGrant: a blocked attempt is refused before the password is verified (no hash spent)', async () => {
  let verified = 0;
  const deps = {
    services: null,
    users: { lookup: async () => ({ password: 'x', access: [] }) },
    verifier: {
      verify: async () => {
        verified += 1;
        return true;
      },
    },
    onUnknownMount: () => {},
    guard: {
      check: async () => {
        throw new AppError('THROTTLED', 'too many failed logins: try again in 5 s', { retryAfterSeconds: 5 });
      },
    },
  } as unknown as FlowDeps;
  await assert.rejects(passwordGrant(deps, { service: 'registry', mount: 'registry' }, 'alice', 'secret', '10.0.0.1'), (error: unknown) =>
    isAppError(error, 'THROTTLED'),
  );
  assert.equal(verified, 0);
});

const minimal = {
  storage: { file: { path: 'users.yml' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem' },
};

test('throttle config: on by default with its defaults; every key can be set', () => {
  assert.deepEqual(parseConfig(minimal, '/etc/vra').throttle, {
    enabled: true,
    failures: { pair: 5, client: 30, account: 100 },
    windowMs: 900_000,
    blockMs: 60_000,
    maxBlockMs: 3_600_000,
  });
  const config = parseConfig(
    {
      ...minimal,
      throttle: { enabled: false, failures: { pair: 3, account: 0 }, window: '5m', block: '10s', max_block: '10m', redis: { url: 'redis://:pw@redis:6379/1' } },
    },
    '/etc/vra',
  );
  assert.deepEqual(config.throttle, {
    enabled: false,
    failures: { pair: 3, client: 30, account: 0 },
    windowMs: 300_000,
    blockMs: 10_000,
    maxBlockMs: 600_000,
    redis: { url: 'redis://:pw@redis:6379/1' },
  });
});

test('throttle config problems name the key', () => {
  assert.deepEqual(configProblems({ ...minimal, throttle: { failures: { pair: -1 }, window: 'soon', redis: { url: 'http://redis' }, extra: 1 } }), [
    'throttle.failures.pair must be a whole number of failures (0 turns this counter off)',
    'throttle.window must be a positive duration such as 5s, 1m30s or 800ms',
    'throttle.redis.url must be a URL such as redis://redis:6379/0 (or rediss:// for TLS)',
    'throttle.extra is not a known key',
  ]);
  assert.deepEqual(configProblems({ ...minimal, throttle: { block: '2h', max_block: '1h' } }), ['throttle.block must not be longer than throttle.max_block']);
});

test('http.trusted_proxies: addresses, CIDRs and proxy-addr’s names; anything else names the key', () => {
  const config = parseConfig({ ...minimal, http: { trusted_proxies: ['10.0.0.0/8', '::1', 'loopback', 'uniquelocal'] } }, '/etc/vra');
  assert.deepEqual(config.http.trustedProxies, ['10.0.0.0/8', '::1', 'loopback', 'uniquelocal']);
  assert.equal(parseConfig(minimal, '/etc/vra').http.trustedProxies, undefined);
  assert.deepEqual(configProblems({ ...minimal, http: { trusted_proxies: ['10.0.0.0/33', 'proxy.example.com'] } }), [
    'http.trusted_proxies.0 must be an address, a CIDR such as 10.0.0.0/8, or loopback, linklocal or uniquelocal',
    'http.trusted_proxies.1 must be an address, a CIDR such as 10.0.0.0/8, or loopback, linklocal or uniquelocal',
  ]);
  assert.deepEqual([isTrustedProxy('192.168.0.0/16'), isTrustedProxy('linklocal'), isTrustedProxy('nope')], [true, true, false]);
});

test('describeRedisUrl never shows the password', () => {
  assert.equal(describeRedisUrl('redis://user:s3cret@redis.internal:6380/2'), 'redis.internal:6380/2');
  assert.equal(describeRedisUrl('rediss://:s3cret@redis'), 'redis:6379/0');
});
