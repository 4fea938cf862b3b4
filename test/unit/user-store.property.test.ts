/**
 * Properties of reading stored entries (src/users/user-store.ts): a user's
 * `groups` field, as `vault write` stores it ("devs, ops") or as a list, and
 * any stored entry at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseGroups, toUserRecord } from '../../src/users/user-store.js';

const RUNS = { numRuns: 2000, seed: 12 };

test('property: parseGroups never throws; its names are trimmed, not empty, without commas, each once', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))), fc.anything()), (value) => {
      const names = parseGroups(value);
      assert.equal(new Set(names).size, names.length);
      for (const name of names) {
        assert.equal(name, name.trim());
        assert.notEqual(name, '');
        if (typeof value === 'string') assert.ok(!name.includes(','));
      }
    }),
    RUNS,
  );
});

test('property: a comma-separated list and the same names as a list give the same groups', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 40 }), (names) => {
      assert.deepEqual(parseGroups(names.join(', ')), parseGroups(names));
      assert.deepEqual(parseGroups(names), [...new Set(names)]);
    }),
    RUNS,
  );
});

test('property: any stored entry reads as a user with string fields, or as nobody; never a user with nothing', () => {
  fc.assert(
    fc.property(fc.anything(), (entry) => {
      const user = toUserRecord(entry);
      if (user === null) return;
      assert.equal(typeof user.password, 'string');
      assert.equal(typeof user.access, 'string');
      assert.ok(user.password !== '' || user.access !== '' || user.groups.length > 0);
    }),
    RUNS,
  );
});
