import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grantLabel, isPartial, knownRoutes, methodLabel, routeLabel, serviceLabel, statusClass } from '../../src/domain/metric-labels.js';
import { vaultOperation, vaultOutcome } from '../../src/vault/timed-transport.js';

test('routeLabel: a known path as it is (a trailing slash ignored), anything else "other"', () => {
  const known = knownRoutes(['/auth', '/auth/token'], '/metrics');
  assert.deepEqual([...known], ['/auth', '/auth/token', '/jwks', '/certs', '/healthz', '/readyz', '/metrics']);
  assert.equal(routeLabel('/auth', known), '/auth');
  assert.equal(routeLabel('/auth/', known), '/auth');
  assert.equal(routeLabel('/auth/token', known), '/auth/token');
  assert.equal(routeLabel('/users/alice', known), 'other');
  assert.equal(routeLabel('/', known), 'other');
  assert.equal(routeLabel('/metrics', knownRoutes(['/auth'], null)), 'other');
});

test('methodLabel, statusClass, grantLabel: bounded sets', () => {
  assert.deepEqual(['GET', 'POST', 'HEAD', 'PROPFIND', 'get'].map(methodLabel), ['GET', 'POST', 'HEAD', 'other', 'other']);
  assert.deepEqual([200, 204, 301, 401, 429, 503, 99, 600].map(statusClass), ['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', 'other', 'other']);
  assert.deepEqual(['password', 'refresh_token', 'anonymous', undefined, 'magic'].map(grantLabel), ['password', 'refresh_token', 'anonymous', 'none', 'none']);
});

test('serviceLabel: only a configured service is a label value', () => {
  const services = new Map([['registry', 'registry']]);
  assert.equal(serviceLabel('registry', services), 'registry');
  assert.equal(serviceLabel('alice-was-here', services), 'other');
  assert.equal(serviceLabel(undefined, services), 'none');
  assert.equal(serviceLabel('', services), 'none');
  // Without a list any name is looked up: none is a label.
  assert.equal(serviceLabel('registry', null), 'other');
});

test('isPartial: fewer actions granted than asked, over all scopes; names may hold ":"', () => {
  assert.equal(isPartial(['repository:a/b:pull,push'], ['repository:a/b:pull,push']), false);
  assert.equal(isPartial(['repository:a/b:pull,push'], ['repository:a/b:pull']), true);
  assert.equal(isPartial(['repository:localhost:5000/a:pull'], ['repository:localhost:5000/a:pull']), false);
  assert.equal(isPartial(['repository:a:pull', 'repository:b:pull'], ['repository:a:pull']), true);
  assert.equal(isPartial([], []), false);
  assert.equal(isPartial(['registry:catalog:*'], ['registry:catalog:*']), false);
});

test('vaultOperation and vaultOutcome: the kind of a Vault call, never its path', () => {
  assert.equal(vaultOperation('GET', 'registry/alice'), 'read');
  assert.equal(vaultOperation('GET', 'auth/token/lookup-self'), 'lookup');
  assert.equal(vaultOperation('POST', 'auth/token/renew-self'), 'renew');
  assert.equal(vaultOperation('POST', 'auth/approle/login'), 'login');
  assert.equal(vaultOperation('POST', 'auth/k8s/prod/login'), 'login');
  assert.equal(vaultOperation('PUT', 'registry/alice'), 'write');
  assert.equal(vaultOperation('DELETE', 'registry/alice'), 'write');
  assert.equal(vaultOperation('LIST', 'registry'), 'other');
  assert.deepEqual([200, 204, 400, 403, 404, 405, 412, 429, 500, 503].map(vaultOutcome), [
    'ok',
    'ok',
    'missing',
    'denied',
    'missing',
    'missing',
    'error',
    'error',
    'error',
    'error',
  ]);
});
