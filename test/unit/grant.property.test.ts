/**
 * Properties of the policy (decide): granted = requested ∩ allowed means
 * nothing outside the request, nothing no entry allows, and more entries or
 * groups never less; `${account}` never reaches outside the account's space.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readAccess } from '../../src/domain/access.js';
import { compileName } from '../../src/domain/glob.js';
import { decide, type AccessSource } from '../../src/domain/grant.js';
import type { ResourceScope } from '../../src/domain/scope.js';
import { accessEntryText, accessString, account, actionList, hostileOrLong, nameFitting, requestedScopes } from '../helpers/arbitraries.js';

const groupNames = fc.constantFrom('devs', 'ops', 'admins');

/** The user's access string and zero to three groups'. */
const sources: fc.Arbitrary<AccessSource[]> = fc
  .tuple(accessString, fc.array(fc.tuple(groupNames, accessString), { maxLength: 3 }))
  .map(([own, groups]) => [
    { source: { kind: 'user' }, access: own },
    ...groups.map(([name, access]) => ({ source: { kind: 'group' as const, name }, access })),
  ]);

/**
 * A request, the sources and the account together: some requested names are
 * made to fit the entries' patterns, or nothing would ever be granted.
 */
const cases: fc.Arbitrary<[ResourceScope[], AccessSource[], string]> = fc.tuple(sources, account, requestedScopes).chain(([from, who, random]) => {
  const entries = from.flatMap(({ access }) => readAccess(access).entries);
  const fitting = entries.map((e) => fc.record({ type: fc.constant(e.type), name: nameFitting(e.name, who), actions: actionList }));
  const requested = fitting.length === 0 ? fc.constant([]) : fc.array(fc.oneof(...fitting), { maxLength: 4 });
  return requested.map((fit): [ResourceScope[], AccessSource[], string] => {
    // One scope per resource, as parseRequestedScopes gives them.
    const all = [...random, ...fit].filter((s, i, list) => list.findIndex((o) => o.type === s.type && o.name === s.name) === i);
    return [all, from, who];
  });
});

const actionsOf = (granted: readonly ResourceScope[]): Set<string> =>
  new Set(granted.flatMap((scope) => scope.actions.map((action) => `${scope.type}\u0000${scope.name}\u0000${action}`)));

test('property: decide never throws, whatever the access strings hold', () => {
  fc.assert(
    fc.property(requestedScopes, fc.array(hostileOrLong, { maxLength: 3 }), account, (requested, texts, who) => {
      decide(
        requested,
        texts.map((access) => ({ source: { kind: 'user' }, access })),
        who,
      );
    }),
    { numRuns: 500 },
  );
});

test('property: granted ⊆ requested, per resource and action', () => {
  fc.assert(
    fc.property(cases, ([requested, from, who]) => {
      for (const scope of decide(requested, from, who).granted) {
        const asked = requested.find((r) => r.type === scope.type && r.name === scope.name);
        assert.ok(asked, `${scope.type}:${scope.name} was not requested`);
        assert.ok(scope.actions.length > 0);
        for (const action of scope.actions) assert.ok(asked.actions.includes(action), `${action} was not requested`);
      }
    }),
    { numRuns: 1_000 },
  );
});

test('property: every granted action is allowed by an entry whose type and name cover the resource', () => {
  fc.assert(
    fc.property(cases, ([requested, from, who]) => {
      // Read independently of decide: every entry of every source, matched with compileName.
      const entries = from.flatMap(({ access }) => readAccess(access).entries);
      for (const scope of decide(requested, from, who).granted) {
        for (const action of scope.actions) {
          const by = entries.find(
            (e) => e.type === scope.type && compileName(e.name, who)(scope.name) && (e.actions.includes('*') || e.actions.includes(action)),
          );
          assert.ok(by, `nothing allows ${action} on ${scope.type}:${scope.name}`);
        }
      }
    }),
    { numRuns: 1_000 },
  );
});

test('property: adding an entry or a group never removes a granted action', () => {
  fc.assert(
    fc.property(cases, accessEntryText, accessString, groupNames, ([requested, from, who], entry, groupAccess, name) => {
      const before = actionsOf(decide(requested, from, who).granted);
      const [own, ...groups] = from;
      const withEntry: AccessSource[] = [{ source: { kind: 'user' }, access: `${own?.access ?? ''};${entry}` }, ...groups];
      const withGroup: AccessSource[] = [...from, { source: { kind: 'group', name }, access: groupAccess }];
      for (const after of [withEntry, withGroup].map((more) => actionsOf(decide(requested, more, who).granted))) {
        for (const action of before) assert.ok(after.has(action), `lost ${JSON.stringify(action)}`);
      }
    }),
    { numRuns: 1_000 },
  );
});

/** Names a client could ask for to escape users/<account>/: built around the account itself. */
function escapes(who: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      `users/${who}/app`,
      `users/${who}/a/b`,
      `users/${who}`,
      `users/${who}/`,
      `users/${who}x/app`,
      `users/x${who}/app`,
      'users/alice/app',
      'users/bob/app',
      'users/*/app',
      'users/**/app',
      'users/../app',
      'users/${account}/app',
      `users/${who}/../other/app`,
      `other/${who}/app`,
    ),
    fc
      .array(fc.constantFrom('users', who, 'app', '*', '**', '..', 'alice', '${account}', '/', ''), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join('/')),
  );
}

const ownSpace: AccessSource[] = [{ source: { kind: 'user' }, access: 'repository:users/${account}/*:*' }];

test('property: users/${account}/* never grants outside users/<account>/, the account taken literally', () => {
  fc.assert(
    fc.property(
      account.chain((who) => fc.tuple(fc.constant(who), escapes(who))),
      ([who, name]) => {
        const granted = decide([{ type: 'repository', name, actions: ['pull', 'push'] }], ownSpace, who).granted;
        const prefix = `users/${who}/`;
        const inside = who !== '' && !who.includes('/') && name.startsWith(prefix) && !name.slice(prefix.length).includes('/');
        // Exactly the names one segment below users/<account>/, byte for byte: no glob meaning in the account.
        assert.equal(granted.length, inside ? 1 : 0, `account ${JSON.stringify(who)} asking for ${JSON.stringify(name)}`);
      },
    ),
    { numRuns: 2_000 },
  );
});
