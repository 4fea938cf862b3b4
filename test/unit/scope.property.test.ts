/**
 * Properties of scope parsing: it never throws, whatever a client sends, and
 * what it accepts survives formatting (formatScope is what logs and
 * challenges print, so it must read back as the same scope).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatScope, MAX_SCOPES_PER_REQUEST, parseRequestedScopes, parseScope, splitActions, splitResource } from '../../src/domain/scope.js';
import { actionList, hostileOrLong, hostileString, repoName } from '../helpers/arbitraries.js';

test('property: parseScope, splitResource and splitActions never throw', () => {
  fc.assert(
    fc.property(hostileOrLong, (text) => {
      const parsed = parseScope(text);
      assert.equal(typeof parsed.ok, 'boolean');
      splitResource(text);
      splitActions(text);
    }),
    { numRuns: 1_000 },
  );
});

test('property: parseRequestedScopes never throws and merges scopes on the same resource', () => {
  fc.assert(
    fc.property(fc.array(hostileString, { maxLength: 8 }), (values) => {
      const parsed = parseRequestedScopes(values);
      if (!parsed.ok) return;
      assert.ok(parsed.scopes.length <= MAX_SCOPES_PER_REQUEST);
      const keys = parsed.scopes.map((scope) => `${scope.type}\u0000${scope.name}`);
      assert.equal(new Set(keys).size, keys.length);
      for (const scope of parsed.scopes) assert.equal(new Set(scope.actions).size, scope.actions.length);
    }),
    { numRuns: 1_000 },
  );
});

test('property: whatever parseScope accepts, formatScope writes back as the same scope', () => {
  fc.assert(
    fc.property(hostileString, (text) => {
      const parsed = parseScope(text);
      if (!parsed.ok) return;
      assert.deepEqual(parseScope(formatScope(parsed.scope)), parsed);
    }),
    { numRuns: 2_000 },
  );
});

// Random strings seldom parse: this one builds valid scopes (class, colons in
// the name, padded and repeated actions) so the round trip is really exercised.
test('property: parse(format(scope)) is the scope, for generated valid scopes', () => {
  const type = fc.constantFrom('repository', 'registry', 'repository(plugin)', 'x1');
  const name = fc.oneof(
    repoName.filter((n) => n.length > 0),
    fc.constantFrom('localhost:5000/app', 'a:b:c', 'catalog', 'é/😀'),
  );
  fc.assert(
    fc.property(type, name, actionList, fc.boolean(), (written, resource, actions, padded) => {
      const text = `${written}:${resource}:${(padded ? [...actions, actions[0] as string].map((a) => ` ${a} `) : actions).join(',')}`;
      const parsed = parseScope(text);
      assert.ok(parsed.ok, text);
      assert.deepEqual(parsed.scope, { type: written.replace(/\(.*\)$/u, ''), name: resource, actions });
      assert.deepEqual(parseScope(formatScope(parsed.scope)), parsed);
    }),
    { numRuns: 1_000 },
  );
});
