import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAccess } from '../../src/domain/access.js';
import { grant } from '../../src/domain/grant.js';
import { formatScope, parseRequestedScopes } from '../../src/domain/scope.js';

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
