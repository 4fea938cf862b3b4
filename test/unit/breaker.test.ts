import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from '../../src/vault/breaker.js';
import { ManualClock } from '../helpers/clock.js';

test('closed until `threshold` failures in a row; a success in between resets the count', () => {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 5000 }, clock);
  breaker.failed();
  breaker.failed();
  breaker.succeeded();
  breaker.failed();
  breaker.failed();
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(breaker.admit(), { allowed: true });
  breaker.failed();
  assert.equal(breaker.state, 'open');
});

test('open: refused at once with the time left; after the cooldown one probe goes through', () => {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 5000 }, clock);
  breaker.failed();
  assert.deepEqual(breaker.admit(), { allowed: false, retryAfterMs: 5000 });
  clock.advance(2000);
  assert.deepEqual(breaker.admit(), { allowed: false, retryAfterMs: 3000 });
  clock.advance(3000);
  assert.equal(breaker.state, 'half-open');
  assert.deepEqual(breaker.admit(), { allowed: true });
  // While the probe runs, everyone else is still refused.
  assert.deepEqual(breaker.admit(), { allowed: false, retryAfterMs: 5000 });
});

test('a failed probe opens it again for a full cooldown; a successful one closes it', () => {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1000 }, clock);
  breaker.failed();
  breaker.failed();
  clock.advance(1000);
  assert.deepEqual(breaker.admit(), { allowed: true });
  breaker.failed();
  assert.equal(breaker.state, 'open');
  assert.deepEqual(breaker.admit(), { allowed: false, retryAfterMs: 1000 });
  clock.advance(1000);
  assert.deepEqual(breaker.admit(), { allowed: true });
  breaker.succeeded();
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(breaker.admit(), { allowed: true });
});
