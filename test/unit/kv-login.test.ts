import assert from 'node:assert/strict';
import test from 'node:test';
import { KvLogin, PASSES_NONE } from '../../src/logins/kv-login.js';
import { hashPassword } from '../../src/passwords/hash.js';
import { PasswordVerifier } from '../../src/passwords/verifier.js';
import { ManualClock } from '../helpers/clock.js';

const target = { service: 'registry', mount: 'registry' };

async function verifier(): Promise<PasswordVerifier> {
  return PasswordVerifier.create({ dummyAlgorithm: 'bcrypt', rememberMs: 0, maxRemembered: 10, clock: new ManualClock(0), onPlaintext: () => {} });
}

test('kv: the right password is accepted, a wrong one refused', async () => {
  const login = new KvLogin(await verifier(), 'every');
  const stored = { password: await hashPassword('s3cret', 'bcrypt'), access: '', groups: [] };
  assert.deepEqual(await login.login(target, 'alice', 's3cret', stored), { kind: 'accepted' });
  assert.deepEqual(await login.login(target, 'alice', 'wrong', stored), { kind: 'refused' });
});

test('kv: no entry, or an entry without a password, is unknown when a way follows, refused when none does', async () => {
  const rightsOnly = { password: '', access: 'repository:a:pull', groups: [] };
  const middle = new KvLogin(await verifier(), 'every');
  const last = new KvLogin(await verifier(), PASSES_NONE);
  assert.deepEqual(await middle.login(target, 'bach', 'pw', null), { kind: 'unknown' });
  assert.deepEqual(await middle.login(target, 'bach', 'pw', rightsOnly), { kind: 'unknown' });
  assert.deepEqual(await last.login(target, 'bach', 'pw', null), { kind: 'refused' });
  // An empty stored password never matches an empty given one (docker_auth's empty-password bug).
  assert.deepEqual(await last.login(target, 'bach', '', rightsOnly), { kind: 'refused' });
});
