/**
 * The KV way among a service's logins (src/logins/service-logins.ts,
 * kv-login.ts): a name it does not know is passed on only to a way that may
 * know it. CI logins know one fixed name each, so behind `[kv, {vault_jwt}]`
 * every other unknown name must be refused after the dummy hash, like a
 * wrong password: else it is answered with no hash at all, and the time of
 * the answer tells which names exist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoginWayConfig, ServiceLogins } from '../../src/config/config.js';
import { hashPassword } from '../../src/passwords/hash.js';
import { PasswordVerifier } from '../../src/passwords/verifier.js';
import { serviceLogins } from '../../src/logins/service-logins.js';
import type { VaultClient } from '../../src/vault/client.js';
import { ManualClock } from '../helpers/clock.js';

const target = { service: 'registry', mount: 'registry' };
const ci: LoginWayConfig = { kind: 'vault_jwt', mount: 'jwt', role: 'registry-ci', username: 'ci', access: '' };

async function waysFor(ways: readonly LoginWayConfig[]) {
  const verifier = await PasswordVerifier.create({
    dummyAlgorithm: 'bcrypt',
    rememberMs: 0,
    maxRemembered: 10,
    clock: new ManualClock(),
    onPlaintext: () => {},
  });
  const logins = new Map<string, ServiceLogins>([['registry', { ways, groupsFrom: 'policies' }]]);
  // The KV way never calls Vault; the Vault ways are only built here, not asked.
  const vault = {} as VaultClient;
  const of = serviceLogins({ logins, verifier, vault, timeoutMs: 1000, rememberMs: 0, maxRemembered: 10, clock: new ManualClock(), onRevokeFailed: () => {} });
  return { verifier, kv: of('registry').find((way) => way.name === 'kv') };
}

/** The KV way's answer for a name with no entry, and whether it checked the password against the dummy hash. */
async function unknownName(ways: readonly LoginWayConfig[], account: string): Promise<[string, boolean]> {
  const { verifier, kv } = await waysFor(ways);
  assert.ok(kv);
  const outcome = kv.login(target, account, 'some-Password', null);
  const hashed = verifier.running === 1;
  return [(await outcome).kind, hashed];
}

test('[kv] alone, or last: an unknown name is refused after the dummy hash', async () => {
  assert.deepEqual(await unknownName([{ kind: 'kv' }], 'nobody'), ['refused', true]);
  assert.deepEqual(await unknownName([ci, { kind: 'kv' }], 'nobody'), ['refused', true]);
});

test('[kv, vault_jwt]: an unknown name other than the CI name is refused after the dummy hash, not passed on for free', async () => {
  assert.deepEqual(await unknownName([{ kind: 'kv' }, ci], 'nobody'), ['refused', true]);
  assert.deepEqual(await unknownName([{ kind: 'kv' }, ci, { ...ci, mount: 'jwt2', username: 'gh' }], 'nobody'), ['refused', true]);
});

test('[kv, vault_jwt]: the CI name without a KV password is passed on to the CI login, unhashed', async () => {
  assert.deepEqual(await unknownName([{ kind: 'kv' }, ci], 'ci'), ['unknown', false]);
  assert.deepEqual(await unknownName([{ kind: 'kv' }, ci, { ...ci, mount: 'jwt2', username: 'gh' }], 'gh'), ['unknown', false]);
});

test('[kv, vault_auth]: an unknown name is passed on (the directory may know it; its login is the work)', async () => {
  assert.deepEqual(await unknownName([{ kind: 'kv' }, { kind: 'vault_auth', mount: 'ldap' }], 'nobody'), ['unknown', false]);
  assert.deepEqual(await unknownName([{ kind: 'kv' }, ci, { kind: 'vault_auth', mount: 'ldap' }], 'nobody'), ['unknown', false]);
});

test('a known KV user with a wrong password is refused, whatever follows', async () => {
  const stored = { password: await hashPassword('right-Password', 'bcrypt'), access: '', groups: [] };
  for (const ways of [
    [{ kind: 'kv' }, ci],
    [{ kind: 'kv' }, { kind: 'vault_auth', mount: 'ldap' }],
  ] as LoginWayConfig[][]) {
    const { kv } = await waysFor(ways);
    assert.deepEqual(await kv?.login(target, 'foo', 'wrong', stored), { kind: 'refused' });
    assert.deepEqual(await kv?.login(target, 'foo', 'right-Password', stored), { kind: 'accepted' });
  }
});

test('[kv, vault_auth, vault_jwt]: the CI name never reaches the directory (its token is no directory password)', async () => {
  const calls: string[] = [];
  const vault = {
    login: async (path: string) => {
      calls.push(path);
      return { status: 400, body: { errors: ['ldap operation failed: failed to bind as user'] } };
    },
  } as unknown as VaultClient;
  const verifier = await PasswordVerifier.create({
    dummyAlgorithm: 'bcrypt',
    rememberMs: 0,
    maxRemembered: 10,
    clock: new ManualClock(),
    onPlaintext: () => {},
  });
  const logins = new Map<string, ServiceLogins>([['registry', { ways: [{ kind: 'kv' }, { kind: 'vault_auth', mount: 'ldap' }, ci], groupsFrom: 'policies' }]]);
  const ways = serviceLogins({
    logins,
    verifier,
    vault,
    timeoutMs: 1000,
    rememberMs: 0,
    maxRemembered: 10,
    clock: new ManualClock(),
    onRevokeFailed: () => {},
  })('registry');
  const ldap = ways.find((way) => way.name === 'vault_auth ldap');
  assert.ok(ldap);
  assert.deepEqual(await ldap.login(target, 'ci', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', null), { kind: 'unknown' });
  assert.deepEqual(calls, []);
  assert.deepEqual(await ldap.login(target, 'mozart', 'password', null), { kind: 'unknown' });
  assert.deepEqual(calls, ['auth/ldap/login/mozart']);
});
