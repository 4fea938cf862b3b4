/**
 * Tokens that come back to us (issue 10, item 3): every refresh token that we
 * did not issue as it stands, or that is no longer good, is refused over HTTP
 * with exactly the answer of a bad credential — on GET (containerd's fallback:
 * Basic with an empty user name) the very answer of a wrong password, on POST
 * OAuth2's invalid_grant. Forged tokens are built from a genuine one with
 * jose, changing one thing at a time; the unchanged copy re-signed with our
 * key is accepted, so each refusal is due to the one change.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import yaml from 'js-yaml';
import { hashPassword } from '../../src/passwords/hash.js';
import { ManualClock } from '../helpers/clock.js';
import { makeKey } from '../helpers/keys.js';
import { claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const clock = new ManualClock(Date.now());
let server: TestServer;
let users: Record<string, Record<string, Record<string, string>>>;
let ourKey: KeyObject;

const CHALLENGE = 'Basic realm="vault-registry-auth", charset="UTF-8"';
const GET_REFUSED = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };
const REFRESH_REFUSED = 'invalid or expired refresh token: log in again';
const POST_REFUSED = { error: 'invalid_grant', error_description: REFRESH_REFUSED, details: REFRESH_REFUSED };

// Throttling is off: this file makes more failed attempts from one address
// than the client counter allows, and the throttle has tests of its own.
const DOCUMENT = { storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }, { name: 'other' }], throttle: { enabled: false } };

async function writeUsers(dir: string): Promise<void> {
  await writeFile(path.join(dir, 'users.yml'), yaml.dump(users, { lineWidth: -1 }));
}

before(async () => {
  server = await startTestServer(DOCUMENT, { clock });
  users = {
    registry: {
      alice: { password: await hashPassword('alice-Secret', 'bcrypt'), access: 'repository:team/app:pull,push' },
      bob: { password: await hashPassword('bob-Secret', 'bcrypt'), access: 'repository:bob/*:pull,push' },
    },
    other: { alice: { password: await hashPassword('alice-Secret', 'bcrypt'), access: 'repository:team/app:pull' } },
  };
  await writeUsers(server.dir);
  ourKey = createPrivateKey(await readFile(path.join(server.dir, 'token.key'), 'utf8'));
});
after(() => server.close());

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function login(url: string, username: string, password: string, service = 'registry'): Promise<{ refresh: string; access: string }> {
  const { status, body } = await post(url, { grant_type: 'password', client_id: 'docker', service, username, password, access_type: 'offline' });
  assert.equal(status, 200);
  return { refresh: body.refresh_token as string, access: body.access_token as string };
}

const refreshPost = (token: string, service = 'registry', url = server.url) =>
  post(url, { grant_type: 'refresh_token', client_id: 'docker', service, refresh_token: token, scope: 'repository:team/app:pull' });

/** Both ways a client presents a refresh token give exactly a bad credential's answer. */
async function assertRefused(token: string, what: string, service = 'registry', url = server.url): Promise<void> {
  const viaPost = await refreshPost(token, service, url);
  assert.deepEqual([viaPost.status, viaPost.body, viaPost.headers.get('www-authenticate')], [401, POST_REFUSED, CHALLENGE], `POST: ${what}`);
  const viaGet = await getToken({ url }, `service=${service}&scope=repository:team/app:pull`, ['', token]);
  assert.deepEqual([viaGet.status, viaGet.body, viaGet.headers.get('www-authenticate')], [401, GET_REFUSED, CHALLENGE], `GET: ${what}`);
}

async function assertAccepted(token: string, what: string, url = server.url): Promise<void> {
  const viaPost = await refreshPost(token, 'registry', url);
  assert.deepEqual([viaPost.status, viaPost.body.scope], [200, 'repository:team/app:pull'], `POST: ${what}`);
  const viaGet = await getToken({ url }, 'service=registry&scope=repository:team/app:pull', ['', token]);
  assert.equal(viaGet.status, 200, `GET: ${what}`);
}

/** A copy of a genuine refresh token's claims, signed anew: header and claims changed as asked. */
function resign(
  genuine: string,
  key: KeyObject | Uint8Array,
  changes: { alg?: string; header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const { kid, typ, alg } = decodeProtectedHeader(genuine);
  const claims = { ...claimsOf(genuine), ...changes.claims };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ typ, kid, alg: changes.alg ?? (alg as string), ...changes.header }).sign(key);
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

test('the answer to a refused refresh token is the answer to a wrong password (GET) and invalid_grant (POST)', async () => {
  const wrongPassword = await getToken(server, 'service=registry&scope=repository:team/app:pull', ['alice', 'wrong']);
  assert.deepEqual([wrongPassword.status, wrongPassword.body], [401, GET_REFUSED]);
  await assertRefused('not-a-token', 'garbage');
});

test('a genuine refresh token re-signed unchanged with our key is accepted: the forgeries below differ by one thing', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  await assertAccepted(refresh, 'genuine');
  await assertAccepted(await resign(refresh, ourKey), 're-signed unchanged');
});

test('alg none, with or without our kid, is refused', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const header = decodeProtectedHeader(refresh);
  const payload = base64url(claimsOf(refresh));
  await assertRefused(`${base64url({ ...header, alg: 'none' })}.${payload}.`, 'alg none, our kid');
  await assertRefused(`${base64url({ alg: 'none', typ: header.typ })}.${payload}.`, 'alg none, no kid');
  await assertRefused(`${base64url({ ...header, alg: 'none' })}.${payload}.${refresh.split('.')[2]}`, 'alg none, our signature kept');
});

test('HS256 with our public key as the secret (PEM, certificate, DER, JWK) is refused', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const publicKey = createPublicKey(ourKey);
  const secrets: Record<string, string | Buffer> = {
    'SPKI PEM': publicKey.export({ format: 'pem', type: 'spki' }) as string,
    'certificate PEM': server.certificatePem,
    'SPKI DER': publicKey.export({ format: 'der', type: 'spki' }),
    JWK: JSON.stringify(await exportJWK(publicKey)),
  };
  for (const [form, secret] of Object.entries(secrets)) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
    for (const alg of ['HS256', 'HS384', 'HS512']) await assertRefused(await resign(refresh, bytes, { alg }), `${alg} with our ${form}`);
  }
});

test('a token signed by a foreign key with our algorithm and our kid is refused, and so is an unknown kid', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const foreign = await makeKey('p256');
  await assertRefused(await resign(refresh, foreign.privateKey), 'foreign key, our kid');
  await assertRefused(await resign(refresh, foreign.privateKey, { header: { kid: 'someone-else' } }), 'foreign key, its own kid');
  await assertRefused(await resign(refresh, ourKey, { header: { kid: 'someone-else' } }), 'our key, an unknown kid');
  await assertRefused(await resign(refresh, ourKey, { header: { kid: undefined } }), 'our key, no kid');
});

test('signed by our key but not a refresh token of ours: audience, issuer, typ, missing claims', async () => {
  const { refresh, access } = await login(server.url, 'alice', 'alice-Secret');
  await assertRefused(access, 'an access token of ours');
  const cases: Record<string, Parameters<typeof resign>[2]> = {
    'audience: the service': { claims: { aud: 'registry' } },
    'audience: missing': { claims: { aud: undefined } },
    'issuer: another': { claims: { iss: 'someone-else' } },
    'typ: JWT': { header: { typ: 'JWT' } },
    'typ: missing': { header: { typ: undefined } },
    'no exp': { claims: { exp: undefined } },
    'no jti': { claims: { jti: undefined } },
    'no iat': { claims: { iat: undefined } },
    'no fingerprint': { claims: { pwf: undefined } },
    'no service': { claims: { svc: undefined } },
  };
  for (const [what, changes] of Object.entries(cases)) await assertRefused(await resign(refresh, ourKey, changes), what);
});

test('a refresh token for another service than the one asked is refused', async () => {
  const forOther = await login(server.url, 'alice', 'alice-Secret', 'other');
  // alice exists in both services: only the token's binding refuses it.
  await assertRefused(forOther.refresh, 'issued for other, used for registry', 'registry');
  const forRegistry = await login(server.url, 'alice', 'alice-Secret');
  await assertRefused(forRegistry.refresh, 'issued for registry, used for other', 'other');
  await assertRefused(await resign(forRegistry.refresh, ourKey, { claims: { svc: 'other' } }), 'svc changed to other, used for registry');
});

test('expired, and not yet valid (nbf or iat in the future), are refused', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const now = Math.floor(clock.now() / 1000);
  await assertRefused(await resign(refresh, ourKey, { claims: { exp: now } }), 'exp now');
  await assertRefused(await resign(refresh, ourKey, { claims: { exp: now - 1 } }), 'exp a second ago');
  await assertRefused(await resign(refresh, ourKey, { claims: { nbf: now + 1 } }), 'nbf in a second');
  await assertRefused(await resign(refresh, ourKey, { claims: { iat: now + 3600 } }), 'iat in an hour');
  await assertRefused(await resign(refresh, ourKey, { claims: { iat: now + 61 } }), 'iat just past the clock skew allowed');
  // Replicas' clocks differ a little: a minute ahead is still accepted.
  await assertAccepted(await resign(refresh, ourKey, { claims: { iat: now + 60 } }), 'iat a minute ahead');
});

test('a token for another user: sub changed is refused (signature, or fingerprint when re-signed)', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const [, , signature] = refresh.split('.') as [string, string, string];
  const header = refresh.split('.')[0] as string;
  await assertRefused(`${header}.${base64url({ ...claimsOf(refresh), sub: 'bob' })}.${signature}`, 'sub changed, our signature kept');
  // Even with our key, alice's fingerprint is not bob's (it binds the account and bob's stored hash).
  await assertRefused(await resign(refresh, ourKey, { claims: { sub: 'bob' } }), 'sub changed and re-signed');
});

test('alice’s genuine refresh token with bob’s account: GET refuses the hint, POST gives alice’s rights only', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  const hinted = await getToken(server, 'service=registry&account=bob&scope=repository:bob/x:pull', ['', refresh]);
  assert.deepEqual(
    [hinted.status, hinted.body],
    [400, { errors: [{ code: 'ACCOUNT_MISMATCH', message: 'the account parameter does not match the authenticated user' }] }],
  );
  // POST has no account field of its own: the token names the user, and bob's rights are not given.
  const posted = await post(server.url, {
    grant_type: 'refresh_token',
    client_id: 'docker',
    service: 'registry',
    refresh_token: refresh,
    account: 'bob',
    username: 'bob',
    scope: 'repository:bob/x:pull',
  });
  assert.deepEqual([posted.status, posted.body.scope, claimsOf(posted.body.access_token).sub], [200, '', 'alice']);
  assert.deepEqual(claimsOf(posted.body.access_token).access, []);
});

test('a refresh token stops working once the stored password changes (same password, new hash)', async () => {
  const { refresh } = await login(server.url, 'bob', 'bob-Secret');
  const bob = users.registry!.bob!;
  const saved = bob.password!;
  bob.password = await hashPassword('bob-Secret', 'bcrypt');
  await writeUsers(server.dir);
  const viaPost = await post(server.url, { grant_type: 'refresh_token', client_id: 'docker', service: 'registry', refresh_token: refresh });
  assert.deepEqual([viaPost.status, viaPost.body], [401, POST_REFUSED]);
  const viaGet = await getToken(server, 'service=registry', ['', refresh]);
  assert.deepEqual([viaGet.status, viaGet.body], [401, GET_REFUSED]);
  // Putting the old hash back makes it good again: the fingerprint is all that changed.
  bob.password = saved;
  await writeUsers(server.dir);
  assert.equal((await post(server.url, { grant_type: 'refresh_token', client_id: 'docker', service: 'registry', refresh_token: refresh })).status, 200);
});

test('a key rotation: tokens of the old key work while it is published, and are refused once it is retired', async () => {
  const { refresh } = await login(server.url, 'alice', 'alice-Secret');
  // The next server: a new active key, the old one published (the overlap).
  const overlap = await startTestServer({ ...DOCUMENT, token: { published: [server.certificatePath] } }, { clock });
  try {
    await writeUsers(overlap.dir);
    await assertAccepted(refresh, 'old key published', overlap.url);
    // The old key retired: the same new active key, nothing published.
    const retired = await startTestServer(
      { ...DOCUMENT, token: { key: path.join(overlap.dir, 'token.key'), certificate: overlap.certificatePath } },
      { clock },
    );
    try {
      await writeUsers(retired.dir);
      await assertRefused(refresh, 'old key retired', 'registry', retired.url);
      // Tokens the new key signs work on both.
      const renewed = await login(retired.url, 'alice', 'alice-Secret');
      await assertAccepted(renewed.refresh, 'new key', retired.url);
      await assertAccepted(renewed.refresh, 'new key', overlap.url);
    } finally {
      await retired.close();
    }
  } finally {
    await overlap.close();
  }
});
