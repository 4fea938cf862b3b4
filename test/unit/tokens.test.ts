import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { keyId } from '../../src/domain/key-id.js';
import { createSigner } from '../../src/tokens/signer.js';
import { KeyLoadError, signingKeyFromPem } from '../../src/tokens/signing-key.js';
import { makeKey, traditionalPem, type KeyKind } from '../helpers/keys.js';

const EXPECTED_ALG: Readonly<Record<KeyKind, string>> = { rsa: 'RS256', p256: 'ES256', p384: 'ES384', ed25519: 'EdDSA' };

for (const kind of ['rsa', 'p256', 'p384', 'ed25519'] as const) {
  test(`${kind}: the algorithm follows from the key, in PKCS#8 and traditional PEM alike`, async () => {
    const key = await makeKey(kind);
    const forms = kind === 'ed25519' ? [key.keyPem] : [key.keyPem, traditionalPem(key.privateKey)];
    for (const pem of forms) {
      const loaded = signingKeyFromPem(pem, key.certificatePem, 'thumbprint');
      assert.equal(loaded.alg, EXPECTED_ALG[kind]);
      assert.equal(loaded.kid, keyId(new X509Certificate(key.certificatePem).publicKey, 'thumbprint'));
    }
  });

  test(`${kind}: a token verifies with the certificate's key and carries what the registry checks`, async () => {
    const key = await makeKey(kind);
    const signingKey = signingKeyFromPem(key.keyPem, key.certificatePem, 'thumbprint');
    const signer = createSigner(signingKey, { x5c: false, now: () => 1_800_000_000 });
    const issued = await signer.sign({
      issuer: 'Token',
      subject: 'foo',
      audience: 'registry',
      access: [{ type: 'repository', name: 'linux/app', actions: ['pull', 'push'] }],
      expiresInSeconds: 300,
    });
    assert.deepEqual(decodeProtectedHeader(issued.token), { typ: 'JWT', alg: EXPECTED_ALG[kind], kid: signingKey.kid });
    const { payload } = await jwtVerify(issued.token, new X509Certificate(key.certificatePem).publicKey, {
      currentDate: new Date(1_800_000_010_000),
    });
    const { jti, ...claims } = payload;
    assert.deepEqual(claims, {
      iss: 'Token',
      sub: 'foo',
      aud: 'registry',
      iat: 1_800_000_000,
      nbf: 1_800_000_000,
      exp: 1_800_000_300,
      access: [{ type: 'repository', name: 'linux/app', actions: ['pull', 'push'] }],
    });
    assert.match(String(jti), /^[A-Za-z0-9_-]{22}$/u);
    assert.deepEqual([issued.issuedAt, issued.expiresIn], [1_800_000_000, 300]);
  });
}

test('ES256 signatures are raw R||S, 64 bytes', async () => {
  const key = await makeKey('p256');
  const signer = createSigner(signingKeyFromPem(key.keyPem, key.certificatePem, 'thumbprint'), { x5c: false });
  const { token } = await signer.sign({ issuer: 'i', subject: '', audience: 'a', access: [], expiresInSeconds: 60 });
  assert.equal(Buffer.from(token.split('.')[2] as string, 'base64url').length, 64);
});

test('jti is unpredictable: a new one for every token', async () => {
  const key = await makeKey('p256');
  const signer = createSigner(signingKeyFromPem(key.keyPem, key.certificatePem, 'thumbprint'), { x5c: false });
  const request = { issuer: 'i', subject: 's', audience: 'a', access: [], expiresInSeconds: 60 };
  const ids = new Set<unknown>();
  for (let i = 0; i < 20; i += 1) {
    const { token } = await signer.sign(request);
    ids.add(JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti);
  }
  assert.equal(ids.size, 20);
});

test('token.x5c adds the certificate chain; token.kid: libtrust uses the 2.x id', async () => {
  const key = await makeKey('rsa');
  const signingKey = signingKeyFromPem(key.keyPem, key.certificatePem, 'libtrust');
  assert.match(signingKey.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/u);
  const { token } = await createSigner(signingKey, { x5c: true }).sign({ issuer: 'i', subject: 's', audience: 'a', access: [], expiresInSeconds: 60 });
  const header = decodeProtectedHeader(token);
  assert.deepEqual(header.x5c, [new X509Certificate(key.certificatePem).raw.toString('base64')]);
  await compactVerify(token, new X509Certificate(key.certificatePem).publicKey);
});

test('a certificate of another key is refused', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('p256')]);
  assert.throws(() => signingKeyFromPem(a.keyPem, b.certificatePem, 'thumbprint'), /certificate does not belong to the private key/u);
});

test('garbage instead of PEM is refused with a reason', async () => {
  const key = await makeKey('p256');
  assert.throws(() => signingKeyFromPem('not a key', key.certificatePem, 'thumbprint'), KeyLoadError);
  assert.throws(() => signingKeyFromPem(key.keyPem, 'not a certificate', 'thumbprint'), /no PEM certificate found/u);
});
