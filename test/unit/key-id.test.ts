import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { keyId, libtrustKeyId, thumbprintKeyId } from '../../src/domain/key-id.js';

test('Ed25519: the RFC 8037 test vector', () => {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }, format: 'jwk' });
  assert.equal(thumbprintKeyId(key), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
});

// A P-256 key whose y coordinate starts with a zero byte. The expected ids
// were computed by distribution v3.1's GetJWKThumbprint and by libtrust.
const LEADING_ZERO_P256 = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWlnDCSdJI/a6X92KuYpVD3c+OwOZ
7VUbzLid+mPvg24ATroWh61UDstr0f7WsaHr+teqX7bZ5MmT9Ce/9T9ryw==
-----END PUBLIC KEY-----`;

test('P-256 with a leading zero byte: the registry v3 id, not RFC 7638', async () => {
  const key = createPublicKey(LEADING_ZERO_P256);
  const jwk = key.export({ format: 'jwk' });
  assert.equal(Buffer.from(jwk.y as string, 'base64url')[0], 0, 'the vector must have a leading zero');
  assert.equal(thumbprintKeyId(key), 'B8PmsFDFlbZxTyhK3NKZW80RndNJRlN6ajwb5YEJs8I');
  assert.notEqual(thumbprintKeyId(key), await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0]));
});

test('libtrust id of the same key (registry 2.x)', () => {
  assert.equal(libtrustKeyId(createPublicKey(LEADING_ZERO_P256)), 'MXNC:V4LT:P6E7:KSIS:NZ5V:R7UL:MZWF:G3BT:CQOY:XDBK:F3SZ:HWGI');
  assert.match(keyId(createPublicKey(LEADING_ZERO_P256), 'libtrust'), /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/u);
});

test('RSA and P-384 keys without leading zeros agree with RFC 7638', async () => {
  for (const pair of [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ec', { namedCurve: 'secp384r1' })]) {
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const coordinates = [jwk.n, jwk.x, jwk.y].filter((v): v is string => typeof v === 'string');
    if (coordinates.some((c) => Buffer.from(c, 'base64url')[0] === 0)) continue; // the 1-in-128 case is tested above
    assert.equal(keyId(pair.publicKey, 'thumbprint'), await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0]));
  }
});
