import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScope, parseRequestedScopes, parseScope, MAX_SCOPES_PER_REQUEST } from '../../src/domain/scope.js';

const ok = (text: string) => {
  const parsed = parseScope(text);
  assert.ok(parsed.ok, `${text} should parse`);
  return parsed.scope;
};
const requested = (...values: string[]) => {
  const parsed = parseRequestedScopes(values);
  assert.ok(parsed.ok, `${values.join(' | ')} should parse`);
  return parsed.scopes;
};

test('a plain repository scope', () => {
  assert.deepEqual(ok('repository:linux/app:pull,push'), { type: 'repository', name: 'linux/app', actions: ['pull', 'push'] });
});

test('a name with host:port keeps its colons (type to the first colon, actions after the last)', () => {
  assert.deepEqual(ok('repository:localhost:5000/team/app:pull'), { type: 'repository', name: 'localhost:5000/team/app', actions: ['pull'] });
});

test('the resource class is accepted and dropped', () => {
  assert.deepEqual(ok('repository(plugin):vieux/sshfs:pull'), { type: 'repository', name: 'vieux/sshfs', actions: ['pull'] });
});

test('registry:catalog:* keeps the literal * action', () => {
  assert.deepEqual(ok('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
});

test('actions are a set: order kept, duplicates dropped', () => {
  assert.deepEqual(ok('repository:a:push,pull,push').actions, ['push', 'pull']);
  assert.deepEqual(ok('repository:a:pull,push,delete').actions, ['pull', 'push', 'delete']);
});

test('names are kept byte for byte', () => {
  assert.equal(ok('repository:Team/App_1.x:pull').name, 'Team/App_1.x');
});

test('malformed scopes are refused with a reason', () => {
  for (const text of [
    'repository',
    'repository:app',
    'repository::pull',
    'repository:app:',
    'repository:app:pull,',
    'Repository:app:pull',
    'repo sitory:app:pull',
    ':app:pull',
    'repository:a;b:pull',
    'repository:app:pu ll',
    `repository:${'a'.repeat(1100)}:pull`,
    'repository:a\u0000b:pull',
  ]) {
    const parsed = parseScope(text);
    assert.equal(parsed.ok, false, `${JSON.stringify(text)} should be refused`);
  }
});

test('scope parameters may repeat and each may hold several scopes separated by spaces', () => {
  assert.deepEqual(requested('repository:a:pull repository:b:push', 'registry:catalog:*').map(formatScope), [
    'repository:a:pull',
    'repository:b:push',
    'registry:catalog:*',
  ]);
});

test('no scope, an empty scope and extra spaces give no scopes', () => {
  assert.deepEqual(requested(), []);
  assert.deepEqual(requested(''), []);
  assert.deepEqual(requested('  '), []);
});

test('scopes on the same resource are merged', () => {
  assert.deepEqual(requested('repository:a:pull', 'repository:a:push,pull').map(formatScope), ['repository:a:pull,push']);
});

test('one malformed scope refuses the request and names the scope', () => {
  const parsed = parseRequestedScopes(['repository:a:pull', 'nonsense']);
  assert.deepEqual(parsed, { ok: false, reason: 'invalid scope "nonsense": expected type:name:actions' });
});

test('too many scopes are refused', () => {
  const many = Array.from({ length: MAX_SCOPES_PER_REQUEST + 1 }, (_, i) => `repository:r${i}:pull`);
  assert.equal(parseRequestedScopes(many).ok, false);
});
