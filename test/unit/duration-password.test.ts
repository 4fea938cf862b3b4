import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs } from '../../src/domain/duration.js';
import { passwordMatches } from '../../src/domain/password.js';
import { onceEach } from '../../src/util/report-once.js';

test('Go-style durations and bare seconds', () => {
  assert.equal(parseDurationMs('5s'), 5000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('800ms'), 800);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs(800), 800_000);
  assert.equal(parseDurationMs('800'), 800_000);
});

test('anything else is not a duration', () => {
  for (const value of ['', 's', '5 s', '5d', '-1s', 'five', null, true, -3, {}]) assert.equal(parseDurationMs(value), null, String(value));
});

test('passwords match exactly', () => {
  assert.equal(passwordMatches('bar', 'bar'), true);
  assert.equal(passwordMatches('bar', 'baz'), false);
  assert.equal(passwordMatches('bar', 'bar '), false);
  assert.equal(passwordMatches('bar', ''), false);
});

test('an unknown user never matches, whatever the password', () => {
  assert.equal(passwordMatches(null, ''), false);
  assert.equal(passwordMatches(null, 'bar'), false);
});

test('onceEach reports each value once', () => {
  const seen: string[] = [];
  const report = onceEach<string>(
    (value) => seen.push(value),
    (value) => value,
    2,
  );
  for (const value of ['a', 'a', 'b', 'a', 'c', 'a']) report(value);
  // After the limit the memory is cleared: 'a' may be reported again, but rarely.
  assert.deepEqual(seen, ['a', 'b', 'c', 'a']);
});
