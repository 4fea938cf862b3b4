/**
 * Vault's error texts on their way to a log line or a CLI message: an error
 * that quotes what it was sent (a plugin's, a proxy's, a future Vault's)
 * never carries the secret id, JWT, token or password hash we sent, and a
 * huge one is cut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loginResult, vaultErrors } from '../../src/vault/auth/auth-method.js';
import { MAX_ERROR_TEXT_CHARS, vaultErrorText } from '../../src/vault/error-text.js';

const SECRET_ID = '6b1e0c8a-S3CR3T-secret-id-4f2d';
const ROLE_ID = '1f0c6d2e-role-id-7a9b';

test('every occurrence of every secret sent is replaced; the rest of Vault’s words are kept', () => {
  const response = { status: 400, body: { errors: [`invalid secret id "${SECRET_ID}" for role ${ROLE_ID}`, `again: ${SECRET_ID}`] } };
  assert.equal(vaultErrorText(response, [SECRET_ID, ROLE_ID]), 'invalid secret id "[redacted]" for role [redacted]; again: [redacted]');
  assert.equal(vaultErrorText(response, []), `invalid secret id "${SECRET_ID}" for role ${ROLE_ID}; again: ${SECRET_ID}`);
});

test('no errors, an empty list, a text body (a proxy’s page): nothing of it', () => {
  for (const body of [null, {}, { errors: [] }, { errors: 'not a list' }, `<html>${SECRET_ID}</html>`]) {
    assert.equal(vaultErrorText({ status: 502, body }, [SECRET_ID]), '', JSON.stringify(body));
  }
  assert.equal(vaultErrors({ status: 502, body: null }, [SECRET_ID]), 'no reason given');
});

test('a long error is cut after the redaction, so a secret is never shown in part', () => {
  const long = `${'x'.repeat(MAX_ERROR_TEXT_CHARS - 5)}${SECRET_ID}${'y'.repeat(1000)}`;
  const text = vaultErrorText({ status: 500, body: { errors: [long] } }, [SECRET_ID]);
  assert.equal(text, `${'x'.repeat(MAX_ERROR_TEXT_CHARS - 5)}[reda…`);
  assert.equal(text.includes(SECRET_ID.slice(0, 5)), false);
});

test('a refused AppRole login: the message names the method, the path, the status and Vault’s reason, never the secret id', () => {
  const refused = { status: 400, body: { errors: [`failed to validate credentials: secret_id ${SECRET_ID} is invalid`] } };
  assert.throws(() => loginResult('approle', 'auth/approle/login', refused, [SECRET_ID, ROLE_ID]), {
    code: 'UNAVAILABLE',
    message: 'approle login at auth/approle/login was refused (400): failed to validate credentials: secret_id [redacted] is invalid',
  });
});

test('a login answered 200 gives the token, its TTL and whether it renews', () => {
  const answer = { status: 200, body: { auth: { client_token: 'hvs.CAES-token', lease_duration: 3600, renewable: true } } };
  assert.deepEqual(loginResult('approle', 'auth/approle/login', answer, [SECRET_ID]), { token: 'hvs.CAES-token', ttlSeconds: 3600, renewable: true });
});
