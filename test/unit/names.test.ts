import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPathSegment, MAX_NAME_LENGTH } from '../../src/domain/names.js';
import { resolveService } from '../../src/domain/service.js';
import { AppError } from '../../src/errors.js';

test('plain names pass', () => {
  for (const name of ['registry', 'foo', 'user.name', 'a-b_c', 'zoë', 'a@b.c']) assert.deepEqual(checkPathSegment(name), { ok: true });
});

test('anything that could leave the path segment is refused', () => {
  for (const name of [
    '',
    '.',
    '..',
    'a/b',
    '../sys',
    'a..b',
    'a\\b',
    'a?b',
    'a#b',
    '%2e%2e',
    'a\u0000',
    'a\nb',
    'a\u007f',
    ' a',
    'a ',
    'x'.repeat(MAX_NAME_LENGTH + 1),
  ]) {
    assert.equal(checkPathSegment(name).ok, false, JSON.stringify(name));
  }
});

const services = new Map([['registry', 'kv/registry']]);

function refused(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error;
  }
  assert.fail('expected an AppError');
}

test('a configured service maps to its mount', () => {
  assert.deepEqual(resolveService('registry', services), { service: 'registry', mount: 'kv/registry' });
});

test('a missing service means the only configured one', () => {
  assert.deepEqual(resolveService(undefined, services), { service: 'registry', mount: 'kv/registry' });
  assert.deepEqual(resolveService('', services), { service: 'registry', mount: 'kv/registry' });
  assert.equal(refused(() => resolveService(undefined, null)).code, 'INVALID_REQUEST');
});

test('without a list, the mount is named after the service', () => {
  assert.deepEqual(resolveService('other', null), { service: 'other', mount: 'other' });
});

test('a service outside the list, or not a plain name, is refused', () => {
  assert.equal(refused(() => resolveService('other', services)).code, 'UNKNOWN_SERVICE');
  assert.equal(refused(() => resolveService('sys/mounts', null)).code, 'INVALID_REQUEST');
  assert.equal(refused(() => resolveService('..', null)).code, 'INVALID_REQUEST');
});
