/**
 * GET /certs and GET /jwks over HTTP, with exact bodies: the active key
 * first, then token.published in order; public, cacheable for a minute, and
 * never a private member.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import yaml from 'js-yaml';
import { keyId } from '../../src/domain/key-id.js';
import { makeKey, type TestKey } from '../helpers/keys.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

let server: TestServer;
let dir: string;
let next: TestKey;
let previous: TestKey;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-published-'));
  [next, previous] = await Promise.all([makeKey('rsa'), makeKey('ed25519')]);
  await writeFile(path.join(dir, 'next.pem'), next.certificatePem);
  await writeFile(path.join(dir, 'previous.pem'), previous.certificatePem);
  server = await startTestServer({
    storage: { file: { path: 'users.yml' } },
    services: [{ name: 'registry' }],
    token: { published: [path.join(dir, 'next.pem'), path.join(dir, 'previous.pem')] },
  });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump({ registry: { foo: { password: 'foo-Secret', access: 'repository:a/b:pull' } } }));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const pems = (): string[] => [server.certificatePem, next.certificatePem, previous.certificatePem];

test('GET /certs: a PEM bundle of every published certificate, the active one first', async () => {
  const response = await fetch(`${server.url}/certs`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-pem-file');
  assert.equal(response.headers.get('cache-control'), 'public, max-age=60');
  const body = await response.text();
  assert.equal(
    body,
    pems()
      .map((pem) => new X509Certificate(pem).toString())
      .join(''),
  );
  // The same certificates, byte for byte, as the files hold.
  assert.deepEqual(
    body.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu)?.map((pem) => new X509Certificate(pem).raw.toString('base64')),
    pems().map((pem) => new X509Certificate(pem).raw.toString('base64')),
  );
});

test('GET /jwks: each public key as a JWK with the kid of the tokens, alg and use, nothing private', async () => {
  const response = await fetch(`${server.url}/jwks`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(response.headers.get('cache-control'), 'public, max-age=60');
  const text = await response.text();
  const jwk = (pem: string, alg: string) => {
    const publicKey = new X509Certificate(pem).publicKey;
    return { ...publicKey.export({ format: 'jwk' }), kid: keyId(publicKey, 'thumbprint'), alg, use: 'sig' };
  };
  assert.deepEqual(JSON.parse(text), {
    keys: [jwk(server.certificatePem, 'ES256'), jwk(next.certificatePem, 'RS256'), jwk(previous.certificatePem, 'EdDSA')],
  });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'x5c']) assert.equal(text.includes(`"${member}":`), false, member);

  const { body } = await getToken(server, 'service=registry&scope=repository:a/b:pull', ['foo', 'foo-Secret']);
  assert.equal(decodeProtectedHeader(body.token).kid, JSON.parse(text).keys[0].kid);
});

test('both are public (no credentials), answer HEAD, and refuse other methods', async () => {
  const head = await fetch(`${server.url}/certs`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const post = await fetch(`${server.url}/jwks`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'HEAD, GET');
});
