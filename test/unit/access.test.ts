import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAccess } from '../../src/domain/access.js';

test('the Godoauth example', () => {
  assert.deepEqual(parseAccess('repository:linux/app:*;repository:linux/db:pull'), {
    rules: [
      { type: 'repository', name: 'linux/app', actions: ['*'] },
      { type: 'repository', name: 'linux/db', actions: ['pull'] },
    ],
    invalid: [],
  });
});

test('spaces around entries and parts, and a trailing ;', () => {
  assert.deepEqual(parseAccess(' repository:a:pull, push ; registry:catalog:* ;').rules, [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
});

test('an empty access string grants nothing and is not an error', () => {
  assert.deepEqual(parseAccess(''), { rules: [], invalid: [] });
  assert.deepEqual(parseAccess(' ; ;'), { rules: [], invalid: [] });
});

test('names with host:port', () => {
  assert.deepEqual(parseAccess('repository:localhost:5000/app:pull').rules, [{ type: 'repository', name: 'localhost:5000/app', actions: ['pull'] }]);
});

test('entries that do not parse are set apart; the others still count', () => {
  assert.deepEqual(parseAccess('garbage;repository:a:pull;repository:b:;:x:pull;repository::pull'), {
    rules: [{ type: 'repository', name: 'a', actions: ['pull'] }],
    invalid: ['garbage', 'repository:b:', ':x:pull', 'repository::pull'],
  });
});
