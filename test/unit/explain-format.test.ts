import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDecision } from '../../src/domain/explain-format.js';
import { decide } from '../../src/domain/grant.js';
import { parseRequestedScopes } from '../../src/domain/scope.js';

function explain(access: { user?: string; groups?: Record<string, string> }, ...texts: string[]): string[] {
  const parsed = parseRequestedScopes(texts);
  assert.ok(parsed.ok);
  const sources = [
    ...(access.user === undefined ? [] : [{ source: { kind: 'user' as const }, access: access.user }]),
    ...Object.entries(access.groups ?? {}).map(([name, text]) => ({ source: { kind: 'group' as const, name }, access: text })),
  ];
  return formatDecision(decide(parsed.scopes, sources, 'alice'));
}

test('granted, denied for the action, denied for the name, and the token', () => {
  assert.deepEqual(
    explain({ user: 'repository:team/app:pull', groups: { devs: 'repository:team/**:pull,push' } }, 'repository:team/app:push,delete', 'repository:other:pull'),
    [
      'repository:team/app push: granted by group devs (repository:team/**:pull,push)',
      'repository:team/app delete: denied, entries name it but none allows delete: the user (repository:team/app:pull), group devs (repository:team/**:pull,push)',
      'repository:other pull: denied, no entry names this repository',
      'token: repository:team/app:push',
    ],
  );
});

test('several entries granting the same action are all named', () => {
  assert.deepEqual(explain({ user: 'repository:a:pull', groups: { g: 'repository:*:*' } }, 'repository:a:pull'), [
    'repository:a pull: granted by the user (repository:a:pull), group g (repository:*:*)',
    'token: repository:a:pull',
  ]);
});

test('ignored entries are listed, quoted; odd group names are quoted', () => {
  assert.deepEqual(explain({ user: 'junk\u001b[31m', groups: { 'two words': 'repository:x/$y:pull' } }), [
    'ignored: the user\'s entry "junk\\u001b[31m": expected type:name:actions',
    'ignored: group "two words"\'s entry "repository:x/$y:pull": a "$" may only begin ${account}',
    'token: nothing granted',
  ]);
});
