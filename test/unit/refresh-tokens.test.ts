/**
 * Refresh tokens without HTTP: what readRefreshToken returns for a token we
 * issued, for one whose key is published only or retired, and for one whose
 * `iat` is in the future (jose checks `iat` only with maxTokenAge, so that
 * bound is ours); the fingerprint binds the stored password.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader, decodeJwt, SignJWT } from 'jose';
import { fingerprintMatches, ISSUED_AT_SKEW_SECONDS, makeRefreshToken, readRefreshToken, REFRESH_AUDIENCE } from '../../src/flow/refresh-tokens.js';
import { publishedKeysFromPem, staticKeySet } from '../../src/tokens/key-set.js';
import { signingKeyFromPem } from '../../src/tokens/signing-key.js';
import { makeKey, type TestKey } from '../helpers/keys.js';

const NOW = 1_800_000_000;
const REQUEST = { issuer: 'vra', service: 'registry', account: 'alice', storedPassword: '$2b$10$stored', expiresInSeconds: 3600, nowSeconds: NOW };
const signing = (key: TestKey) => signingKeyFromPem(key.keyPem, key.certificatePem, 'thumbprint');

test('a token we issued reads back with its service, account and jti; the fingerprint binds the stored password', async () => {
  const key = await makeKey('p256');
  const keys = staticKeySet(signing(key));
  const token = await makeRefreshToken(keys, REQUEST);
  const claims = await readRefreshToken(keys, token, { issuer: 'vra', nowSeconds: NOW });
  assert.deepEqual(claims && [claims.service, claims.account, claims.jti], ['registry', 'alice', decodeJwt(token).jti]);
  assert.equal(fingerprintMatches(claims!, '$2b$10$stored'), true);
  assert.equal(fingerprintMatches(claims!, '$2b$10$changed'), false);
  assert.equal(await readRefreshToken(keys, token, { issuer: 'other', nowSeconds: NOW }), null);
  assert.equal(await readRefreshToken(keys, token, { issuer: 'vra', nowSeconds: NOW + 3600 }), null, 'expired at exp');
  assert.notEqual(await readRefreshToken(keys, token, { issuer: 'vra', nowSeconds: NOW + 3599 }), null);
});

test('a key that only verifies still reads its tokens; once retired from the key set, they are refused', async () => {
  const [old, next] = await Promise.all([makeKey('p256'), makeKey('rsa')]);
  const token = await makeRefreshToken(staticKeySet(signing(old)), REQUEST);
  const overlap = staticKeySet(signing(next), publishedKeysFromPem(old.certificatePem, 'thumbprint'));
  assert.notEqual(await readRefreshToken(overlap, token, { issuer: 'vra', nowSeconds: NOW }), null);
  const retired = staticKeySet(signing(next));
  assert.equal(await readRefreshToken(retired, token, { issuer: 'vra', nowSeconds: NOW }), null);
});

test('an iat later than the allowed clock skew is refused, and a missing iat too', async () => {
  const key = await makeKey('p256');
  const keys = staticKeySet(signing(key));
  const genuine = await makeRefreshToken(keys, REQUEST);
  const { kid, typ } = decodeProtectedHeader(genuine);
  const signed = (iat: number | undefined) => {
    const claims = { ...decodeJwt(genuine), iat };
    if (iat === undefined) delete claims.iat;
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ }).sign(signing(key).privateKey);
  };
  const read = async (iat: number | undefined) => readRefreshToken(keys, await signed(iat), { issuer: 'vra', nowSeconds: NOW });
  assert.notEqual(await read(NOW + ISSUED_AT_SKEW_SECONDS), null);
  assert.equal(await read(NOW + ISSUED_AT_SKEW_SECONDS + 1), null);
  assert.equal(await read(undefined), null);
  assert.equal(decodeJwt(genuine).aud, REFRESH_AUDIENCE);
});
