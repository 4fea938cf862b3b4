/**
 * Properties of the refresh tokens that come back to us
 * (src/flow/refresh-tokens.ts): reading any text never throws and never
 * yields claims unless it is a token we signed, untouched; what we sign
 * reads back as it was written, for any account and service; and a token
 * signed by anyone else with any claims, our `kid` and typ included, is
 * refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { makeRefreshToken, readRefreshToken } from '../../src/flow/refresh-tokens.js';
import { staticKeySet } from '../../src/tokens/key-set.js';
import { signingKeyFromPem } from '../../src/tokens/signing-key.js';
import { makeKey } from '../helpers/keys.js';

const NOW = 1_800_000_000;
const EXPECTED = { issuer: 'vra', nowSeconds: NOW };
const RUNS = { numRuns: 200, seed: 10 };

const ours = await makeKey('p256');
const foreign = await makeKey('p256');
const keys = staticKeySet(signingKeyFromPem(ours.keyPem, ours.certificatePem, 'thumbprint'));
const foreignKey = signingKeyFromPem(foreign.keyPem, foreign.certificatePem, 'thumbprint');
const genuine = await makeRefreshToken(keys, {
  issuer: 'vra',
  service: 'registry',
  account: 'alice',
  storedPassword: '$2b$10$x',
  expiresInSeconds: 3600,
  nowSeconds: NOW,
});

const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/);
const jwtPart = fc.base64String().map((text) => text.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', ''));

test('property: reading any text, or any three base64url parts, never throws and never gives claims', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string(),
        fc.tuple(jwtPart, jwtPart, jwtPart).map((parts) => parts.join('.')),
      ),
      async (text) => {
        assert.equal(await readRefreshToken(keys, text, EXPECTED), null);
      },
    ),
    RUNS,
  );
});

test('property: what we sign for any account and service reads back as written', async () => {
  await fc.assert(
    fc.asyncProperty(name, name, fc.integer({ min: 60, max: 90 * 86400 }), async (account, service, lifetime) => {
      const token = await makeRefreshToken(keys, {
        issuer: 'vra',
        service,
        account,
        storedPassword: '$argon2id$h',
        expiresInSeconds: lifetime,
        nowSeconds: NOW,
      });
      const claims = await readRefreshToken(keys, token, EXPECTED);
      assert.deepEqual(claims && [claims.account, claims.service], [account, service]);
    }),
    RUNS,
  );
});

test('property: changing any one character of a genuine token makes it unreadable', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: genuine.length - 1 }),
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
      async (at, replacement) => {
        fc.pre(genuine[at] !== replacement);
        const changed = `${genuine.slice(0, at)}${replacement}${genuine.slice(at + 1)}`;
        // A change in the signature's last character may only touch its padding bits: then the bytes, and the token, are the same.
        fc.pre(
          Buffer.from(changed.split('.')[2] ?? '', 'base64url').toString('hex') !== Buffer.from(genuine.split('.')[2] ?? '', 'base64url').toString('hex') ||
            at < genuine.lastIndexOf('.'),
        );
        assert.equal(await readRefreshToken(keys, changed, EXPECTED), null);
      },
    ),
    RUNS,
  );
});

test('property: a foreign key signing any of our claims, with our kid and typ, is refused', async () => {
  const header = decodeProtectedHeader(genuine);
  const claims = decodeJwt(genuine);
  await fc.assert(
    fc.asyncProperty(name, fc.integer({ min: -120, max: 3000 }), async (account, shift) => {
      const forged = await new SignJWT({ ...claims, sub: account, iat: NOW + Math.min(shift, 60), exp: NOW + 3600 + shift })
        .setProtectedHeader({ alg: 'ES256', kid: header.kid, typ: header.typ })
        .sign(foreignKey.privateKey);
      assert.equal(await readRefreshToken(keys, forged, EXPECTED), null);
    }),
    RUNS,
  );
});
