import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { parseConfig } from '../../src/config/load.js';
import { configProblems } from '../helpers/config-problems.js';

const minimal = {
  storage: { file: { path: 'users.yml' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem' },
};

function withWorkers(workers: unknown): Record<string, unknown> {
  return { ...minimal, http: { addr: ':5002', workers } };
}

const problems = configProblems;

test('http.workers: one per core by default and for auto', () => {
  assert.equal(parseConfig(minimal, '/etc/vra', {}).workers, os.availableParallelism());
  assert.equal(parseConfig({ ...minimal, http: { addr: ':5002' } }, '/etc/vra', {}).workers, os.availableParallelism());
  assert.equal(parseConfig(withWorkers('auto'), '/etc/vra', {}).workers, os.availableParallelism());
});

test('http.workers: a positive whole number as given; 1 is the single process', () => {
  assert.equal(parseConfig(withWorkers(1), '/etc/vra', {}).workers, 1);
  assert.equal(parseConfig(withWorkers(3), '/etc/vra', {}).workers, 3);
});

test('http.workers: anything else is refused, naming the key', () => {
  for (const bad of [0, -1, 1.5, 'many', '2', true, null]) {
    const found = problems(withWorkers(bad));
    assert.equal(found.length, 1, `${JSON.stringify(bad)}: ${found.join('; ')}`);
    assert.match(found[0] as string, /^http\.workers must be auto or a positive whole number$/u, JSON.stringify(bad));
  }
});
