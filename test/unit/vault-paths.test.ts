import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userSecretPath } from '../../src/vault/mounts.js';

test('KV v1: the secret sits right under the mount', () => {
  assert.equal(userSecretPath({ root: 'registry/', prefix: '', version: 1 }, 'foo'), 'registry/foo');
});

test('KV v2: under data/, and a folder inside the mount is kept', () => {
  assert.equal(userSecretPath({ root: 'registry/', prefix: '', version: 2 }, 'foo'), 'registry/data/foo');
  assert.equal(userSecretPath({ root: 'secret/', prefix: 'registry-users', version: 2 }, 'foo'), 'secret/data/registry-users/foo');
  assert.equal(userSecretPath({ root: 'kv/', prefix: 'a/b', version: 1 }, 'foo'), 'kv/a/b/foo');
});

test('the account is URL-encoded: it can never add a path segment or a query', () => {
  assert.equal(userSecretPath({ root: 'registry/', prefix: '', version: 1 }, 'zoë smith'), 'registry/zo%C3%AB%20smith');
});
