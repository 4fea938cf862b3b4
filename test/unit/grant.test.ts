import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAccess } from '../../src/domain/access.js';
import { decide, grant, MAX_GROUPS_PER_USER, type AccessSource } from '../../src/domain/grant.js';
import { formatScope, parseRequestedScopes, type ResourceScope } from '../../src/domain/scope.js';

function granted(access: string, ...scopes: string[]): string[] {
  const parsed = parseRequestedScopes(scopes);
  assert.ok(parsed.ok);
  return grant(parsed.scopes, parseAccess(access).rules).map(formatScope);
}

test('* allows every action asked for', () => {
  assert.deepEqual(granted('repository:linux/app:*', 'repository:linux/app:pull,push,delete'), ['repository:linux/app:pull,push,delete']);
});

test('only the allowed actions are granted', () => {
  assert.deepEqual(granted('repository:linux/db:pull', 'repository:linux/db:pull,push'), ['repository:linux/db:pull']);
});

test('a resource with nothing allowed is left out: not an error', () => {
  assert.deepEqual(granted('repository:linux/db:pull', 'repository:linux/db:push'), []);
  assert.deepEqual(granted('repository:linux/db:pull', 'repository:other:pull'), []);
  assert.deepEqual(granted('', 'repository:linux/db:pull'), []);
});

test('the catalog needs a grant of *', () => {
  assert.deepEqual(granted('registry:catalog:*', 'registry:catalog:*'), ['registry:catalog:*']);
  assert.deepEqual(granted('registry:catalog:pull', 'registry:catalog:*'), []);
});

test('type and name must both match, byte for byte', () => {
  assert.deepEqual(granted('registry:linux/app:*', 'repository:linux/app:pull'), []);
  assert.deepEqual(granted('repository:Linux/app:*', 'repository:linux/app:pull'), []);
});

test('several rules on one resource add up', () => {
  assert.deepEqual(granted('repository:a:pull;repository:a:push', 'repository:a:push,pull'), ['repository:a:push,pull']);
});

test('each requested resource is answered on its own', () => {
  assert.deepEqual(
    granted('repository:linux/app:*;repository:linux/db:pull', 'repository:linux/app:pull,push', 'repository:linux/db:pull,push', 'repository:x:pull'),
    ['repository:linux/app:pull,push', 'repository:linux/db:pull'],
  );
});

test('no scope asked, nothing granted', () => {
  assert.deepEqual(granted('repository:linux/app:*'), []);
});

// --- globs, ${account}, groups and explanations -------------------------------

function scopes(...texts: string[]): ResourceScope[] {
  const parsed = parseRequestedScopes(texts);
  assert.ok(parsed.ok);
  return parsed.scopes;
}

const user = (access: string): AccessSource => ({ source: { kind: 'user' }, access });
const group = (name: string, access: string): AccessSource => ({ source: { kind: 'group', name }, access });

function decided(sources: AccessSource[], account: string, ...texts: string[]): string[] {
  return decide(scopes(...texts), sources, account).granted.map(formatScope);
}

test('grant: globs match through the old entry point too', () => {
  assert.deepEqual(granted('repository:team/*:pull', 'repository:team/app:pull', 'repository:team/a/b:pull'), ['repository:team/app:pull']);
  assert.deepEqual(granted('repository:team/**:pull', 'repository:team/a/b:pull,push', 'repository:team:pull'), ['repository:team/a/b:pull']);
});

test('grant: ${account} needs the account; without it the entry grants nothing', () => {
  const rules = parseAccess('repository:users/${account}/*:*').rules;
  assert.deepEqual(grant(scopes('repository:users/alice/app:push'), rules).map(formatScope), []);
  assert.deepEqual(grant(scopes('repository:users/alice/app:push'), rules, 'alice').map(formatScope), ['repository:users/alice/app:push']);
});

test('decide: the union of the user and every group, never the first match', () => {
  const sources = [user('repository:team/app:pull'), group('devs', 'repository:team/**:push'), group('ops', 'repository:**:delete')];
  assert.deepEqual(decided(sources, 'alice', 'repository:team/app:pull,push,delete'), ['repository:team/app:pull,push,delete']);
  assert.deepEqual(decided(sources, 'alice', 'repository:other:pull,delete'), ['repository:other:delete']);
});

test('decide: ${account} is the authenticated account, literally', () => {
  const sources = [group('everyone', 'repository:users/${account}/*:*')];
  assert.deepEqual(decided(sources, 'alice', 'repository:users/alice/app:push', 'repository:users/bob/app:pull'), ['repository:users/alice/app:push']);
  assert.deepEqual(decided(sources, '*', 'repository:users/alice/app:push', 'repository:users/*/app:pull'), ['repository:users/*/app:pull']);
  assert.deepEqual(decided(sources, '**', 'repository:users/a/b/app:pull', 'repository:users/**/app:pull'), ['repository:users/**/app:pull']);
});

test('decide: * grants every action, and the catalog still needs a literal *', () => {
  assert.deepEqual(decided([group('admins', 'registry:catalog:*')], 'a', 'registry:catalog:*'), ['registry:catalog:*']);
  assert.deepEqual(decided([group('admins', 'registry:*:pull')], 'a', 'registry:catalog:*'), []);
  assert.deepEqual(decided([group('admins', 'registry:*:*')], 'a', 'registry:catalog:*'), ['registry:catalog:*']);
});

test('decide: bad entries are ignored and reported, never a crash nor a wider grant', () => {
  const decision = decide(scopes('repository:team/app:pull,push'), [user('repository:team/app:pull;repository:team/${who}:*'), group('g', 'junk')], 'alice');
  assert.deepEqual(decision.granted.map(formatScope), ['repository:team/app:pull']);
  assert.deepEqual(decision.ignored, [
    { source: { kind: 'user' }, entry: 'repository:team/${who}:*', reason: 'unknown placeholder ${who}: the only one is ${account}' },
    { source: { kind: 'group', name: 'g' }, entry: 'junk', reason: 'expected type:name:actions' },
  ]);
});

test('decide: each action is explained', () => {
  const devs = group('devs', 'repository:team/**:pull,push');
  const decision = decide(scopes('repository:team/app:pull,delete', 'repository:other:pull'), [user('repository:team/app:pull'), devs], 'alice');
  const byUser = { source: { kind: 'user' }, entry: 'repository:team/app:pull' } as const;
  const byDevs = { source: { kind: 'group', name: 'devs' }, entry: 'repository:team/**:pull,push' } as const;
  assert.deepEqual(decision.scopes, [
    {
      scope: { type: 'repository', name: 'team/app', actions: ['pull', 'delete'] },
      matched: [byUser, byDevs],
      actions: [
        { action: 'pull', granted: true, by: [byUser, byDevs] },
        { action: 'delete', granted: false, reason: 'entries name it but none allows delete' },
      ],
    },
    {
      scope: { type: 'repository', name: 'other', actions: ['pull'] },
      matched: [],
      actions: [{ action: 'pull', granted: false, reason: 'no entry names this repository' }],
    },
  ]);
  assert.deepEqual(decision.granted.map(formatScope), ['repository:team/app:pull']);
});

test('decide and grant agree on exact names', () => {
  const access = 'repository:linux/app:*;repository:linux/db:pull;registry:catalog:*';
  const requested = scopes('repository:linux/app:pull,push', 'repository:linux/db:pull,push', 'registry:catalog:*', 'repository:x:pull');
  assert.deepEqual(decide(requested, [user(access)], 'u').granted, grant(requested, parseAccess(access).rules));
});

test('MAX_GROUPS_PER_USER is exported for the caller to enforce', () => {
  assert.equal(MAX_GROUPS_PER_USER, 32);
});
