import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configProblems } from '../helpers/config-problems.js';

const TOKEN = { issuer: 'x', expiration: 300, key: 'k', certificate: 'c' };
const VAULT = { storage: { vault: { addr: 'http://127.0.0.1:8200', auth_token: 't' } }, token: TOKEN };
const FILE = { storage: { file: { path: 'users.yml' } }, token: TOKEN };

test('services[].logins: kv by default (no entry in the map), in order when given, groups_from policies by default', () => {
  const config = parseConfig(
    {
      ...VAULT,
      services: [
        { name: 'plain', mount: 'registry' },
        { name: 'directory', mount: 'registry', logins: ['kv', { vault_auth: 'ldap' }, { vault_auth: 'corp/userpass' }] },
        {
          name: 'ci',
          mount: 'registry',
          groups_from: 'metadata',
          logins: [{ vault_jwt: 'jwt', role: 'registry-ci', username: 'ci', access: 'repository:${claims.project_path}/**:push,pull' }, 'kv'],
        },
        { name: 'identity', groups_from: 'identity_groups' },
      ],
    },
    '/etc/vra',
  );
  assert.deepEqual(Object.fromEntries(config.logins), {
    directory: {
      ways: [{ kind: 'kv' }, { kind: 'vault_auth', mount: 'ldap' }, { kind: 'vault_auth', mount: 'corp/userpass' }],
      groupsFrom: 'policies',
    },
    ci: {
      ways: [
        { kind: 'vault_jwt', mount: 'jwt', role: 'registry-ci', username: 'ci', access: 'repository:${claims.project_path}/**:push,pull' },
        { kind: 'kv' },
      ],
      groupsFrom: 'metadata',
    },
    identity: { ways: [{ kind: 'kv' }], groupsFrom: 'identity_groups' },
  });
});

test('logins problems name the key', () => {
  const service = (extra: Record<string, unknown>) => ({ ...VAULT, services: [{ name: 'registry', ...extra }] });
  assert.deepEqual(configProblems(service({ logins: [] })), ['services.0.logins must list at least one way']);
  assert.deepEqual(configProblems(service({ logins: ['ldap'] })), [
    'services.0.logins.0 must be kv, {vault_auth: MOUNT} or {vault_jwt: MOUNT, role, username, access}',
  ]);
  assert.deepEqual(configProblems(service({ logins: [{ vault_auth: '../sys' }] })), [
    'services.0.logins.0.vault_auth must be a mount path of plain segments separated by "/"',
  ]);
  assert.deepEqual(configProblems(service({ logins: ['kv', 'kv'] })), ['services.0.logins lists kv more than once']);
  assert.deepEqual(configProblems(service({ groups_from: 'ldap' })), ['services.0.groups_from must be policies, metadata or identity_groups']);
  assert.deepEqual(
    configProblems(
      service({
        logins: [
          { vault_jwt: 'jwt', role: 'a', username: 'ci' },
          { vault_jwt: 'gh', role: 'b', username: 'ci' },
        ],
      }),
    ),
    ['services.0.logins: two vault_jwt logins share a username (only the first would ever be asked)'],
  );
  assert.deepEqual(configProblems(service({ logins: [{ vault_jwt: 'jwt', role: 'a', username: 'ci', access: 'repository:${claims.a.b}/**:push' }] })), [
    'services.0.logins.0.access: entry 1 "repository:${claims.a.b}/**:push": unknown placeholder ${claims.a.b}: the only one is ${account}',
  ]);
  assert.deepEqual(configProblems(service({ logins: [{ vault_jwt: 'jwt', username: 'ci' }] })), [
    'services.0.logins.0 must be kv, {vault_auth: MOUNT} or {vault_jwt: MOUNT, role, username, access}',
  ]);
});

test('Vault logins need Vault storage', () => {
  assert.deepEqual(configProblems({ ...FILE, services: [{ name: 'registry', logins: ['kv', { vault_auth: 'ldap' }] }] }), [
    'services.0.logins.1: Vault logins need storage.vault (the embedded file store has no Vault)',
  ]);
  assert.equal(parseConfig({ ...FILE, services: [{ name: 'registry', logins: ['kv'] }] }, '/etc/vra').logins.size, 1);
});
