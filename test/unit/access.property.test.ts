/**
 * Properties of access strings: reading one never throws (they are stored
 * data, anyone with write access to Vault can put anything there), every
 * entry is either kept or reported, and a kept entry reads back the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAccess, MAX_ENTRIES_PER_ACCESS, parseAccess, parseAccessEntry, readAccess } from '../../src/domain/access.js';
import { accessString, hostileOrLong } from '../helpers/arbitraries.js';

const written = (text: string): string[] =>
  text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);

test('property: readAccess, parseAccess and checkAccess never throw', () => {
  fc.assert(
    fc.property(fc.oneof(hostileOrLong, accessString), (text) => {
      readAccess(text);
      parseAccess(text);
      const checked = checkAccess(text);
      assert.equal(checked.ok, readAccess(text).rejected.length === 0);
    }),
    { numRuns: 1_000 },
  );
});

test('property: every written entry is either kept or rejected, in order, up to the limit', () => {
  fc.assert(
    fc.property(fc.oneof(hostileOrLong, accessString), (text) => {
      const { entries, rejected } = readAccess(text);
      const all = written(text);
      const counted = Math.min(all.length, MAX_ENTRIES_PER_ACCESS);
      const inLimit = rejected.filter((r) => r.position <= MAX_ENTRIES_PER_ACCESS);
      assert.equal(entries.length + inLimit.length, counted);
      assert.equal(rejected.length - inLimit.length, all.length > MAX_ENTRIES_PER_ACCESS ? 1 : 0);
      for (const r of inLimit) assert.equal(all[r.position - 1], r.entry);
    }),
    { numRuns: 1_000 },
  );
});

test('property: a kept entry, written back as type:name:actions, reads as the same rule', () => {
  fc.assert(
    fc.property(accessString, (text) => {
      for (const entry of readAccess(text).entries) {
        const again = parseAccessEntry(`${entry.type}:${entry.name}:${entry.actions.join(',')}`);
        assert.ok(again.ok, entry.entry);
        assert.deepEqual([again.entry.type, again.entry.name, again.entry.actions], [entry.type, entry.name, entry.actions]);
        assert.deepEqual(again.entry.pattern, entry.pattern);
      }
    }),
    { numRuns: 1_000 },
  );
});
