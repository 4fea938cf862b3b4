/**
 * Regression: Vault 1.13's ldap method answers a directory it cannot
 * connect to with a 400 (recorded against a real Vault, a closed port as
 * the directory; test/integration/directory-logins.test.ts). Read as bad
 * credentials, a directory outage told every user "invalid username or
 * password" and counted against them in the throttle; it is unavailable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLoginAnswer } from '../../src/domain/vault-login.js';

/** Vault 1.13.1's exact answer, the directory's port closed. */
const REFUSED_TEXT =
  '1 error occurred:\n\t* error connecting to host "ldap://127.0.0.1:43171": {{err}}%!(EXTRA *ldap.Error=LDAP Result Code 200 "Network Error": dial tcp 127.0.0.1:43171: connect: connection refused)\n\n';

test('a directory ldap cannot connect to (400 "error connecting to host") is unavailable, not bad credentials', () => {
  assert.deepEqual(readLoginAnswer(400, { errors: [REFUSED_TEXT] }), {
    kind: 'unavailable',
    reason: `the login answered 400: ${REFUSED_TEXT.slice(0, 200)}`,
  });
  assert.deepEqual(readLoginAnswer(500, { errors: ['LDAP Result Code 200 "Network Error": read tcp: i/o timeout'] }), {
    kind: 'unavailable',
    reason: 'the login answered 500: LDAP Result Code 200 "Network Error": read tcp: i/o timeout',
  });
});

test('what Vault says of an unknown LDAP user or a wrong password stays "not logged in"', () => {
  assert.deepEqual(readLoginAnswer(400, { errors: ['ldap operation failed: failed to bind as user'] }), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(204, null), { kind: 'out' });
  assert.deepEqual(readLoginAnswer(400, { errors: ['password cannot be of zero length when passwordless binds are being denied'] }), { kind: 'out' });
});
