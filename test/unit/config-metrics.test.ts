import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configProblems } from '../helpers/config-problems.js';

const BASE = { storage: { file: { path: 'users.yml' } }, token: { issuer: 'x', expiration: 300, key: 'k', certificate: 'c' } };

test('metrics: on by default, at /metrics on the main port', () => {
  assert.deepEqual(parseConfig(BASE, '/etc/vra').metrics, { enabled: true, path: '/metrics' });
});

test('metrics.addr: a listener of its own; metrics.enabled and path', () => {
  assert.deepEqual(parseConfig({ ...BASE, metrics: { addr: ':9102' } }, '/etc/vra').metrics, { enabled: true, path: '/metrics', listen: { port: 9102 } });
  assert.deepEqual(parseConfig({ ...BASE, metrics: { addr: '127.0.0.1:9102', path: '/m' } }, '/etc/vra').metrics, {
    enabled: true,
    path: '/m',
    listen: { host: '127.0.0.1', port: 9102 },
  });
  assert.deepEqual(parseConfig({ ...BASE, metrics: { enabled: false } }, '/etc/vra').metrics, { enabled: false, path: '/metrics' });
});

test('metrics problems name the key', () => {
  assert.deepEqual(configProblems({ ...BASE, metrics: { addr: 'nowhere' } }), [
    'metrics.addr must be an address such as :9102 or 127.0.0.1:9102 (got "nowhere")',
  ]);
  assert.deepEqual(configProblems({ ...BASE, metrics: { path: '/auth' } }), [
    'metrics.path /auth is already an endpoint of the main port: choose another, or set metrics.addr',
  ]);
  assert.deepEqual(configProblems({ ...BASE, metrics: { path: 'metrics' } }), ['metrics.path must be an absolute URL path such as /auth']);
  assert.deepEqual(configProblems({ ...BASE, metrics: { enabled: 'yes' } }), ['metrics.enabled must be true or false']);
  assert.deepEqual(configProblems({ ...BASE, metrics: { port: 1 } }), ['metrics.port is not a known key']);
});
