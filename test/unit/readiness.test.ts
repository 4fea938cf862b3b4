import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerEvents } from '../../src/events.js';
import { readiness } from '../../src/observers/readiness.js';
import { VaultHealth } from '../../src/observers/vault-health.js';
import type { KeySet } from '../../src/tokens/key-set.js';
import { ManualClock } from '../helpers/clock.js';

const keySet = { active: () => ({ kid: 'K1', alg: 'ES256' }), verifiers: () => [] } as unknown as KeySet;
const noKey = {
  active: () => {
    throw new Error('not loaded');
  },
  verifiers: () => [],
} as unknown as KeySet;

function setUp(cache: { ttlMs: number; staleMs: number }) {
  const clock = new ManualClock();
  const events = new ServerEvents();
  const vault = new VaultHealth(events, clock);
  return { clock, events, vault, check: readiness({ keySet, vault, cache, clock }) };
}

test('file store: ready with a signing key; not ready without one', () => {
  const clock = new ManualClock();
  assert.deepEqual(readiness({ keySet, vault: null, cache: { ttlMs: 0, staleMs: 0 }, clock })(), { ready: true, checks: { signing_key: 'ok', storage: 'ok' } });
  assert.deepEqual(readiness({ keySet: noKey, vault: null, cache: { ttlMs: 0, staleMs: 0 }, clock })(), {
    ready: false,
    checks: { signing_key: 'no active signing key: not loaded', storage: 'ok' },
  });
});

test('Vault lost with the cache on: ready (degraded) within the stale window, then not; back: ready', () => {
  const { clock, events, vault, check } = setUp({ ttlMs: 30_000, staleMs: 60_000 });
  assert.deepEqual(check(), { ready: true, checks: { signing_key: 'ok', storage: 'ok' } });
  events.emit('vault.lost', { reason: 'Vault is sealed or unavailable' });
  clock.advance(20_500);
  assert.deepEqual(
    check().checks.storage,
    'degraded: Vault unavailable for 20 s (Vault is sealed or unavailable); cached users are served for 39 s more (cache.stale)',
  );
  assert.equal(check().ready, true);
  assert.equal(vault.state.up, false);
  clock.advance(39_500);
  assert.deepEqual(check(), {
    ready: false,
    checks: {
      signing_key: 'ok',
      storage:
        'Vault unavailable for 60 s (Vault is sealed or unavailable); longer than the stale window (cache.stale 60 s): cached users are no longer served',
    },
  });
  events.emit('vault.back', { downForMs: 60_000 });
  assert.deepEqual(check(), { ready: true, checks: { signing_key: 'ok', storage: 'ok' } });
});

test('a failed login: not ready without a cache, named as a login problem; the outage starts at its first sign', () => {
  const { clock, events, check } = setUp({ ttlMs: 0, staleMs: 300_000 });
  events.emit('vault.login_failed', { method: 'approle', reason: 'invalid role or secret ID' });
  clock.advance(3_000);
  events.emit('vault.lost', { reason: 'invalid role or secret ID' });
  clock.advance(2_000);
  assert.deepEqual(check(), {
    ready: false,
    checks: {
      signing_key: 'ok',
      storage: 'cannot log in to Vault for 5 s (invalid role or secret ID); the user cache is off (cache.ttl 0), so no user can be served',
    },
  });
  events.emit('vault.login', { method: 'approle', ttlSeconds: 3600, renewable: true, again: true });
  assert.equal(check().ready, true);
});
