import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBasicAuth } from '../../src/domain/basic-auth.js';

const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

test('user and password', () => {
  assert.deepEqual(parseBasicAuth(basic('foo:bar')), { username: 'foo', password: 'bar' });
});

test('split at the first colon: passwords may hold colons', () => {
  assert.deepEqual(parseBasicAuth(basic('foo:b:a:r')), { username: 'foo', password: 'b:a:r' });
});

test('empty user (containerd sends :<refresh token>) and empty password', () => {
  assert.deepEqual(parseBasicAuth(basic(':tok')), { username: '', password: 'tok' });
  assert.deepEqual(parseBasicAuth(basic('foo:')), { username: 'foo', password: '' });
});

test('the scheme is case-insensitive', () => {
  assert.deepEqual(parseBasicAuth(`bAsIc ${Buffer.from('a:b').toString('base64')}`), { username: 'a', password: 'b' });
});

test('UTF-8 credentials', () => {
  assert.deepEqual(parseBasicAuth(basic('zoë:pässwörd')), { username: 'zoë', password: 'pässwörd' });
});

test('anything else is no credentials', () => {
  for (const header of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', basic('nocolon')]) {
    assert.equal(parseBasicAuth(header), null, String(header));
  }
});
