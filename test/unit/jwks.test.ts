/**
 * Public JWKs (what /jwks serves) and the checks `certs fetch` applies to a
 * downloaded bundle before it becomes a registry's trust anchor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { keyId } from '../../src/domain/key-id.js';
import { checkJwks, checkPemBundle } from '../../src/tokens/bundle-check.js';
import { PRIVATE_JWK_MEMBERS, publicJwk } from '../../src/tokens/jwk.js';
import { makeKey, type KeyKind } from '../helpers/keys.js';

const PUBLIC_MEMBERS: Readonly<Record<KeyKind, string[]>> = {
  rsa: ['kty', 'n', 'e', 'kid', 'alg', 'use'],
  p256: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  p384: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  ed25519: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
};

for (const kind of ['rsa', 'p256', 'p384', 'ed25519'] as const) {
  test(`${kind}: the JWK has the public members, kid, alg and use only — even made from the private key`, async () => {
    const key = await makeKey(kind);
    const publicKey = new X509Certificate(key.certificatePem).publicKey;
    const expected = publicKey.export({ format: 'jwk' });
    for (const from of [publicKey, key.privateKey]) {
      const jwk = publicJwk({ kid: 'the-kid', alg: 'ES256', publicKey: from });
      assert.deepEqual(Object.keys(jwk), PUBLIC_MEMBERS[kind]);
      for (const member of PRIVATE_JWK_MEMBERS) assert.equal(member in jwk, false, `${member} must never appear`);
      assert.deepEqual({ ...jwk }, { ...expected, kid: 'the-kid', alg: 'ES256', use: 'sig' });
      // It is the same key: Node reads it back to the certificate's key.
      assert.ok(createPublicKey({ key: jwk, format: 'jwk' }).equals(publicKey));
    }
  });
}

test('checkJwks accepts a JWK set of public keys and returns the kids', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('ed25519')]);
  const keys = [a, b].map((key, i) => publicJwk({ kid: `k${i}`, alg: 'ES256', publicKey: key.privateKey }));
  assert.deepEqual(checkJwks(JSON.stringify({ keys })), ['k0', 'k1']);
});

test('checkJwks refuses empty, malformed, anonymous, duplicate, symmetric and private keys', async () => {
  const key = await makeKey('rsa');
  const good = publicJwk({ kid: 'k', alg: 'RS256', publicKey: key.privateKey });
  const privateJwk = { ...key.privateKey.export({ format: 'jwk' }), kid: 'k' };
  const cases: [string, RegExp][] = [
    ['', /not JSON/u],
    ['<html>', /not JSON/u],
    ['{}', /no "keys" list/u],
    ['{"keys":[]}', /holds no key/u],
    ['{"keys":[1]}', /key 1 is not an object/u],
    [JSON.stringify({ keys: [{ ...good, kid: undefined }] }), /key 1 has no kid/u],
    [JSON.stringify({ keys: [good, good] }), /the kid k appears twice/u],
    [JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] }), /private members \(k\)/u],
    [JSON.stringify({ keys: [{ ...good, kty: 'EC' }] }), /not a usable public key/u],
    [JSON.stringify({ keys: [good, privateJwk] }), /key 2 has private members \(d, p, q, dp, dq, qi\): refusing to write it/u],
  ];
  for (const [text, reason] of cases) assert.throws(() => checkJwks(text), reason, text);
});

test('checkPemBundle accepts certificates and returns their v3 thumbprints', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('rsa')]);
  assert.deepEqual(
    checkPemBundle(`${a.certificatePem}\n${b.certificatePem}\n`),
    [a, b].map((key) => keyId(new X509Certificate(key.certificatePem).publicKey, 'thumbprint')),
  );
});

test('checkPemBundle refuses empty, garbage, private keys, other blocks and certificates that do not parse', async () => {
  const key = await makeKey('p256');
  const cases: [string, RegExp][] = [
    ['', /holds no certificate/u],
    ['   \n', /holds no certificate/u],
    ['<html>not found</html>', /text outside the certificates/u],
    [`${key.certificatePem}garbage`, /text outside the certificates/u],
    [key.certificatePem + key.keyPem, /holds a private key/u],
    ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /PUBLIC KEY blocks: only certificates/u],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /certificate 1 does not parse/u],
  ];
  for (const [text, reason] of cases) assert.throws(() => checkPemBundle(text), reason, text);
});
