/**
 * Reading a Vault auth method's login answer (src/domain/vault-login.ts):
 * which answers are a login, which are bad credentials and which are Vault
 * (or the directory behind it) unable to say; the groups a login carries;
 * the claims of a JWT Vault accepted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jwtClaims, loginGroups, readLoginAnswer, readLoginAuth, type VaultLoginAuth } from '../../src/domain/vault-login.js';

/** A login answer as Vault's jwt method gives it (trimmed to what is read). */
const LOGIN_BODY = {
  request_id: 'b0c7…',
  data: {},
  auth: {
    client_token: 'hvs.CAESIlogin',
    accessor: 'acc',
    policies: ['default', 'registry-ci-push'],
    token_policies: ['default', 'registry-ci-push', 'registry-ci-extra'],
    metadata: { role: 'registry-ci', groups: 'builders, testers', count: 3 },
    entity_id: 'ent-1',
    lease_duration: 60,
  },
};

test('a 200 with an auth block is a login: token, policies (both lists, once each), string metadata, entity', () => {
  assert.deepEqual(readLoginAnswer(200, LOGIN_BODY), {
    kind: 'in',
    auth: {
      clientToken: 'hvs.CAESIlogin',
      policies: ['default', 'registry-ci-push', 'registry-ci-extra'],
      metadata: { role: 'registry-ci', groups: 'builders, testers' },
      entityId: 'ent-1',
    },
  });
});

test('a 200 without a usable auth block is no login', () => {
  for (const body of [
    null,
    'text',
    {},
    { data: {} },
    { auth: null },
    { auth: 'x' },
    { auth: {} },
    { auth: { client_token: '' } },
    { auth: { client_token: 7 } },
  ]) {
    assert.deepEqual(readLoginAnswer(200, body), { kind: 'out' }, JSON.stringify(body));
  }
});

test('a login with only a client token: no policies, no metadata, no entity', () => {
  assert.deepEqual(readLoginAuth(200, { auth: { client_token: 't', policies: 'default', metadata: ['x'], entity_id: 5 } }), {
    clientToken: 't',
    policies: [],
    metadata: {},
    entityId: '',
  });
});

test('ldap\'s 204 with no body and every 4xx are "not logged in"', () => {
  assert.deepEqual(readLoginAnswer(204, null), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(400, { errors: ['error validating token: invalid audience (aud) claim'] }), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(400, { errors: ['invalid username or password'] }), { kind: 'out' });
  // Even a 400 carrying an auth block: only a 200 logs in.
  assert.deepEqual(readLoginAnswer(400, LOGIN_BODY), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(403, { errors: ['permission denied'] }), { kind: 'out' });
});

test('userpass\'s 500 "invalid username or password" is bad credentials, not an outage', () => {
  assert.deepEqual(readLoginAnswer(500, { errors: ['invalid username or password'] }), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(500, { errors: ['missing password'] }), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(500, { errors: ['Invalid Credentials'] }), { kind: 'out' });
});

test("any other 500 is Vault (or its directory) unable to say, with Vault's words", () => {
  assert.deepEqual(readLoginAnswer(500, { errors: ['ldap operation failed: failed to connect to LDAP server'] }), {
    kind: 'unavailable',
    reason: 'the login answered 500: ldap operation failed: failed to connect to LDAP server',
  });
  assert.deepEqual(readLoginAnswer(500, null), { kind: 'unavailable', reason: 'the login answered 500' });
  assert.deepEqual(readLoginAnswer(500, { errors: [] }), { kind: 'unavailable', reason: 'the login answered 500' });
  // One credential error beside another error: not only the credentials, so no 401.
  assert.deepEqual(readLoginAnswer(500, { errors: ['invalid username or password', 'internal error'] }), {
    kind: 'unavailable',
    reason: 'the login answered 500: invalid username or password; internal error',
  });
  const long = readLoginAnswer(500, { errors: ['x'.repeat(500)] });
  assert.deepEqual(long, { kind: 'unavailable', reason: `the login answered 500: ${'x'.repeat(200)}` });
});

const auth = (fields: Partial<VaultLoginAuth>): VaultLoginAuth => ({ clientToken: 't', policies: [], metadata: {}, entityId: '', ...fields });

test("groups from policies: Vault's own default and root are never groups; each name once", () => {
  assert.deepEqual(loginGroups(auth({ policies: ['default', 'registry-ci-push', 'root', 'devs', 'devs'] }), 'policies'), ['registry-ci-push', 'devs']);
  assert.deepEqual(loginGroups(auth({ policies: ['default'] }), 'policies'), []);
});

test('groups from metadata: the comma-separated groups field, trimmed, empty names and repeats dropped', () => {
  assert.deepEqual(loginGroups(auth({ metadata: { groups: ' builders, testers,,builders , ' } }), 'metadata'), ['builders', 'testers']);
  assert.deepEqual(loginGroups(auth({ metadata: { role: 'registry-ci' } }), 'metadata'), []);
  // Policies are not groups when the groups come from the metadata.
  assert.deepEqual(loginGroups(auth({ policies: ['devs'], metadata: {} }), 'metadata'), []);
});

const part = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

test('jwtClaims reads the payload of a compact JWT', () => {
  const claims = { iss: 'https://gitlab.example.com', project_path: 'group/app', project_id: 42, exp: 1_700_000_120 };
  assert.deepEqual(jwtClaims(`${part({ alg: 'ES256' })}.${part(claims)}.sig`), claims);
});

test('jwtClaims on garbage is {}: then no claim binds', () => {
  for (const jwt of [
    '',
    'no-dots',
    `${part({ alg: 'none' })}.%%%.sig`,
    `${part({})}.${part('not json')}.sig`,
    `${part({})}.${part([1, 2])}.sig`,
    `${part({})}.${part(null)}.sig`,
    `${part({})}.${part('"a string"')}.sig`,
    `${part({})}.${part(42)}.sig`,
  ]) {
    assert.deepEqual(jwtClaims(jwt), {}, jwt);
  }
});

test('readLoginAnswer: a secret the login sent never reaches the reason, whatever Vault quotes', () => {
  const body = { errors: ['error connecting to host: bind as alice with password hunter2 failed'] };
  assert.deepEqual(readLoginAnswer(400, body, ['hunter2']), {
    kind: 'unavailable',
    reason: 'the login answered 400: error connecting to host: bind as alice with password [redacted] failed',
  });
  assert.deepEqual(readLoginAnswer(500, { errors: ['plugin failed on token eyJ.x.y'] }, ['eyJ.x.y']), {
    kind: 'unavailable',
    reason: 'the login answered 500: plugin failed on token [redacted]',
  });
});
