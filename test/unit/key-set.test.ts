/**
 * The key set: one active key that signs, published keys that only verify,
 * loaded from files with every problem naming its key; the signer signs with
 * the key that is active when it signs; token headers for each registry
 * configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { keyId } from '../../src/domain/key-id.js';
import { loadKeyFiles } from '../../src/tokens/key-files.js';
import { type KeySet, publishedKeysFromPem, staticKeySet } from '../../src/tokens/key-set.js';
import { createSigner } from '../../src/tokens/signer.js';
import { signingKeyFromPem, type SigningKey } from '../../src/tokens/signing-key.js';
import { makeKey, type TestKey } from '../helpers/keys.js';

const REQUEST = { issuer: 'i', subject: 's', audience: 'registry', access: [], expiresInSeconds: 60 };
const signing = (key: TestKey, format: 'thumbprint' | 'libtrust' = 'thumbprint'): SigningKey => signingKeyFromPem(key.keyPem, key.certificatePem, format);
const kidOf = (key: TestKey): string => keyId(new X509Certificate(key.certificatePem).publicKey, 'thumbprint');

test('a key set lists the active key first, then each published key once, in order', async () => {
  const [a, b, c] = await Promise.all([makeKey('p256'), makeKey('rsa'), makeKey('ed25519')]);
  const published = publishedKeysFromPem(b.certificatePem + a.certificatePem + c.certificatePem + b.certificatePem, 'thumbprint');
  const keys = staticKeySet(signing(a), published);
  assert.deepEqual(
    keys.verifiers().map(({ kid, alg }) => [kid, alg]),
    [
      [kidOf(a), 'ES256'],
      [kidOf(b), 'RS256'],
      [kidOf(c), 'EdDSA'],
    ],
  );
  assert.equal(keys.active().kid, kidOf(a));
  assert.ok(Object.isFrozen(keys.verifiers()));
});

test('verifiers carry only public keys, and check a token pinned by kid and alg', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('p384')]);
  const signer = createSigner(staticKeySet(signing(b), publishedKeysFromPem(a.certificatePem, 'thumbprint')), { x5c: false });
  const { token } = await signer.sign(REQUEST);
  const { kid, alg } = decodeProtectedHeader(token);
  for (const key of signer.keySet.verifiers()) assert.equal(key.publicKey.type, 'public');
  const verifier = signer.keySet.verifiers().find((key) => key.kid === kid && key.alg === alg);
  assert.ok(verifier);
  await compactVerify(token, verifier.publicKey, { algorithms: [verifier.alg] });
});

test('the signer signs with the key active at sign time: a switch applies to the next token', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('rsa')]);
  let active = signing(a);
  const keySet: KeySet = { active: () => active, verifiers: () => staticKeySet(active).verifiers() };
  const signer = createSigner(keySet, { x5c: true });
  const first = await signer.sign(REQUEST);
  active = signing(b);
  const second = await signer.sign(REQUEST);
  assert.deepEqual(decodeProtectedHeader(first.token), {
    typ: 'JWT',
    alg: 'ES256',
    kid: kidOf(a),
    x5c: [new X509Certificate(a.certificatePem).raw.toString('base64')],
  });
  assert.deepEqual(decodeProtectedHeader(second.token), {
    typ: 'JWT',
    alg: 'RS256',
    kid: kidOf(b),
    x5c: [new X509Certificate(b.certificatePem).raw.toString('base64')],
  });
  await compactVerify(second.token, new X509Certificate(b.certificatePem).publicKey);
  assert.deepEqual(
    signer.keys.map((key) => key.kid),
    [kidOf(b)],
  );
});

test('token headers for each registry configuration', async () => {
  const key = await makeKey('p256');
  const certificate = new X509Certificate(key.certificatePem);
  // registry v3 with rootcertbundle, and v3 with jwks: the v3 thumbprint, no x5c.
  const v3 = decodeProtectedHeader((await createSigner(staticKeySet(signing(key)), { x5c: false }).sign(REQUEST)).token);
  assert.deepEqual(v3, { typ: 'JWT', alg: 'ES256', kid: keyId(certificate.publicKey, 'thumbprint') });
  // registry 2.8 with rootcertbundle: the libtrust kid…
  const v2 = decodeProtectedHeader((await createSigner(staticKeySet(signing(key, 'libtrust')), { x5c: false }).sign(REQUEST)).token);
  assert.deepEqual(v2, { typ: 'JWT', alg: 'ES256', kid: keyId(certificate.publicKey, 'libtrust') });
  // …or the certificate chain, which any registry with a rootcertbundle verifies.
  const withChain = decodeProtectedHeader((await createSigner(staticKeySet(signing(key, 'libtrust')), { x5c: true }).sign(REQUEST)).token);
  assert.deepEqual(withChain.x5c, [certificate.raw.toString('base64')]);
});

test('a single SigningKey is still accepted as a key set of one', async () => {
  const key = await makeKey('p256');
  const signer = createSigner(signing(key), { x5c: false });
  assert.deepEqual(
    signer.keySet.verifiers().map((k) => k.kid),
    [kidOf(key)],
  );
  assert.equal(decodeProtectedHeader((await signer.sign(REQUEST)).token).kid, kidOf(key));
});

test('published PEM: every certificate is a key; none, or a bad one, is refused saying which', async () => {
  const key = await makeKey('p256');
  assert.throws(() => publishedKeysFromPem('', 'thumbprint'), /no PEM certificate found/u);
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  assert.throws(() => publishedKeysFromPem(key.certificatePem + broken, 'thumbprint'), /^KeyLoadError: certificate 2: /u);
});

test('key files: token.key, token.certificate and token.published, each problem naming its key and file', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-keyset-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [a, b, c] = await Promise.all([makeKey('p256'), makeKey('p256'), makeKey('rsa')]);
  const file = (name: string): string => path.join(dir, name);
  await writeFile(file('a.key'), a.keyPem, { mode: 0o600 });
  await writeFile(file('a.pem'), a.certificatePem);
  await writeFile(file('b.pem'), b.certificatePem);
  await writeFile(file('c.pem'), c.certificatePem);
  await writeFile(file('junk.pem'), 'junk');

  const keys = await loadKeyFiles({ key: file('a.key'), certificate: file('a.pem'), published: [file('b.pem'), file('c.pem')] }, 'thumbprint');
  assert.deepEqual(
    keys.verifiers().map((key) => key.kid),
    [kidOf(a), kidOf(b), kidOf(c)],
  );

  await assert.rejects(loadKeyFiles({ key: file('a.key'), certificate: file('a.pem'), published: [file('b.pem'), file('junk.pem')] }, 'thumbprint'), {
    message: `token.published.1 (${file('junk.pem')}): no PEM certificate found`,
  });
  await assert.rejects(loadKeyFiles({ key: file('a.key'), certificate: file('a.pem'), published: [file('missing.pem')] }, 'thumbprint'), {
    message: `token.published.0 (${file('missing.pem')}): no such file: ${file('missing.pem')}`,
  });
  await assert.rejects(loadKeyFiles({ key: file('a.key'), certificate: file('b.pem'), published: [] }, 'thumbprint'), {
    message: `token.key and token.certificate (${file('a.key')}, ${file('b.pem')}): the certificate does not belong to the private key`,
  });
});
