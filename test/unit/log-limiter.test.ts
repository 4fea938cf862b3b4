import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitedLog } from '../../src/util/log-limiter.js';
import { ManualClock } from '../helpers/clock.js';

test('at most N lines of a kind per window, then one line with the count suppressed', () => {
  const clock = new ManualClock();
  const written: string[] = [];
  const log = limitedLog(clock, (kind, count) => written.push(`suppressed ${kind} ${count}`), 2, 60_000);
  for (let i = 0; i < 5; i++) log('unknown-mount', () => written.push(`line ${i}`));
  log('other', () => written.push('other line'));
  assert.deepEqual(written, ['line 0', 'line 1', 'other line']);
  clock.advance(60_000);
  log('unknown-mount', () => written.push('line 5'));
  assert.deepEqual(written, ['line 0', 'line 1', 'other line', 'suppressed unknown-mount 3', 'line 5']);
});
