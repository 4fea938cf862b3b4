import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword } from '../../src/passwords/hash.js';
import { PasswordVerifier } from '../../src/passwords/verifier.js';
import { ManualClock } from '../helpers/clock.js';

// Written by `htpasswd -nbB alice htpasswd-Secret-1` (apache2-utils): the
// `$2y$` prefix some bcrypt libraries refuse. test/integration/htpasswd.test.ts
// runs htpasswd itself.
const HTPASSWD_HASH = '$2y$05$uuK/RKtet72yiMD1TL7Q7uWGjNc96oqK1WNxRNNoqIgfqnMmkAKO6';

async function setUp(rememberMs = 30_000) {
  const clock = new ManualClock();
  const plaintext: string[] = [];
  const verifier = await PasswordVerifier.create({
    dummyAlgorithm: 'bcrypt',
    rememberMs,
    maxRemembered: 100,
    clock,
    onPlaintext: (service, account) => plaintext.push(`${service}/${account}`),
  });
  return { clock, plaintext, verifier };
}

const input = (stored: string | null, given: string) => ({ service: 'registry', account: 'alice', stored, given });

test('bcrypt: $2y$ (htpasswd -nB), $2b$ and $2a$ all verify; a wrong password does not', async () => {
  const { verifier } = await setUp();
  assert.equal(await verifier.verify(input(HTPASSWD_HASH, 'htpasswd-Secret-1')), true);
  assert.equal(await verifier.verify(input(HTPASSWD_HASH, 'htpasswd-Secret-2')), false);
  const b = await hashPassword('b-Secret', 'bcrypt');
  assert.match(b, /^\$2b\$10\$/u);
  assert.equal(await verifier.verify(input(b, 'b-Secret')), true);
  assert.equal(await verifier.verify(input(b.replace('$2b$', '$2a$'), 'b-Secret')), true);
  assert.equal(await verifier.verify(input(b, 'B-Secret')), false);
});

test('argon2id PHC strings verify', async () => {
  const { verifier } = await setUp();
  const hash = await hashPassword('argon-Secret');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/u);
  assert.equal(await verifier.verify(input(hash, 'argon-Secret')), true);
  assert.equal(await verifier.verify(input(hash, 'argon-secret')), false);
});

test('plaintext (Godoauth) still works, and is reported for each check so the caller can warn once', async () => {
  const { verifier, plaintext } = await setUp();
  assert.equal(await verifier.verify(input('plain-Secret', 'plain-Secret')), true);
  assert.equal(await verifier.verify(input('plain-Secret', 'plain-secret')), false);
  assert.deepEqual(plaintext, ['registry/alice', 'registry/alice']);
});

test('an unknown user never verifies, whatever is given', async () => {
  const { verifier } = await setUp();
  for (const given of ['', 'x', HTPASSWD_HASH]) assert.equal(await verifier.verify(input(null, given)), false);
});

test('a verified password is remembered for the TTL; a changed hash is another key; failures are not remembered', async () => {
  const { clock, verifier } = await setUp();
  const hash = await hashPassword('remember-Secret', 'bcrypt');
  assert.equal(await verifier.verify(input(hash, 'remember-Secret')), true);
  assert.equal(verifier.remembered, 1);
  assert.equal(await verifier.verify(input(hash, 'remember-Secret')), true);
  assert.equal(verifier.remembered, 1, 'the second check was answered from memory');
  // The same password against another stored hash (a password change) is another key.
  const changed = await hashPassword('remember-Secret', 'bcrypt');
  assert.equal(await verifier.verify(input(changed, 'remember-Secret')), true);
  assert.equal(verifier.remembered, 2);
  assert.equal(await verifier.verify(input(hash, 'wrong')), false);
  assert.equal(verifier.remembered, 2, 'failures are never remembered');
  clock.advance(30_000);
  assert.equal(await verifier.verify(input(hash, 'remember-Secret')), true, 'checked again after the TTL');
});

test('identical checks running at the same time share one hash, for known and unknown users alike', async () => {
  const { verifier } = await setUp();
  const hash = await hashPassword('shared-Secret', 'bcrypt');
  const known = Array.from({ length: 10 }, () => verifier.verify(input(hash, 'shared-Secret')));
  assert.equal(verifier.running, 1);
  const unknown = Array.from({ length: 10 }, () => verifier.verify(input(null, 'guess')));
  const wrong = Array.from({ length: 10 }, () => verifier.verify(input(hash, 'guess')));
  assert.equal(verifier.running, 3, 'one check each for the right password, the unknown user and the wrong password');
  assert.deepEqual(await Promise.all(known), Array(10).fill(true));
  assert.deepEqual(await Promise.all(unknown), Array(10).fill(false));
  assert.deepEqual(await Promise.all(wrong), Array(10).fill(false));
  assert.equal(verifier.running, 0);
  assert.equal(verifier.remembered, 1, 'only the success is remembered');
});
