/**
 * Properties of the names that end up in storage paths (service and account):
 * checking never throws, and whatever passes is one plain path segment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAppError } from '../../src/errors.js';
import { checkPathSegment, isReservedName, MAX_NAME_LENGTH } from '../../src/domain/names.js';
import { resolveService } from '../../src/domain/service.js';
import { hostileOrLong } from '../helpers/arbitraries.js';

test('property: a name checkPathSegment accepts is one plain path segment', () => {
  fc.assert(
    fc.property(hostileOrLong, (name) => {
      assert.equal(isReservedName(name), name.startsWith('_'));
      if (!checkPathSegment(name).ok) return;
      assert.ok(name.length >= 1 && name.length <= MAX_NAME_LENGTH);
      assert.equal(/[/\\?#%]|\.\./u.test(name), false, name);
      assert.equal(/[\u0000-\u001f\u007f-\u009f]/u.test(name), false, name);
      assert.equal(name.trim(), name);
    }),
    { numRuns: 2_000 },
  );
});

test('property: resolveService returns a checked mount or throws an AppError, nothing else', () => {
  const services = fc.option(
    fc.constantFrom(
      new Map([['registry', 'docker']]),
      new Map([
        ['a', 'm1'],
        ['b', 'm2'],
      ]),
    ),
  );
  fc.assert(
    fc.property(fc.option(hostileOrLong, { nil: undefined }), services, (requested, list) => {
      try {
        const target = resolveService(requested, list);
        assert.equal(checkPathSegment(target.mount).ok, true);
        if (list === null) assert.equal(target.mount, requested);
      } catch (error) {
        assert.ok(isAppError(error), String(error));
      }
    }),
    { numRuns: 1_000 },
  );
});
