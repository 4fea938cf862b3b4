/**
 * The OAuth2 POST on the realm path, refresh tokens on GET and POST, and
 * anonymous access, over HTTP with exact statuses and bodies, on the user
 * file (no peer needed). The refresh token's clock is a manual one.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import yaml from 'js-yaml';
import { hashPassword } from '../../src/passwords/hash.js';
import { ManualClock } from '../helpers/clock.js';
import { makeKey } from '../helpers/keys.js';
import { basic, claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

let server: TestServer;
const clock = new ManualClock(Date.now());
let users: Record<string, Record<string, unknown>>;

async function writeUsers(): Promise<void> {
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(users, { lineWidth: -1 }));
}

before(async () => {
  server = await startTestServer(
    {
      storage: { file: { path: 'users.yml' } },
      services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }, { name: 'other' }],
    },
    { clock },
  );
  users = {
    registry: {
      alice: { password: await hashPassword('alice-Secret', 'bcrypt'), access: 'repository:team/app:pull,push' },
      plain: { password: 'plain-Secret', access: 'repository:team/app:pull' },
    },
    other: { alice: { password: await hashPassword('alice-Secret', 'bcrypt'), access: 'repository:team/app:pull' } },
  };
  await writeUsers();
});
after(() => server.close());

/** POST a form to the realm; returns status, headers and the parsed JSON. */
async function post(
  fields: Record<string, string | string[]>,
  contentType = 'application/x-www-form-urlencoded',
): Promise<{ status: number; headers: Headers; body: any }> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) form.append(name, one);
  const response = await fetch(`${server.url}/auth`, { method: 'POST', headers: { 'Content-Type': contentType }, body: form.toString() });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** The OAuth2 error body; `details` repeats the description for docker's client. */
const oauthError = (error: string, description: string) => ({ error, error_description: description, details: description });

const PASSWORD_GRANT = { grant_type: 'password', client_id: 'docker', service: 'registry', username: 'alice', password: 'alice-Secret' };

test('POST password grant: access_token, scope, expires_in, issued_at; charset in the content type is fine', async () => {
  for (const contentType of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8']) {
    const { status, headers, body } = await post(
      { ...PASSWORD_GRANT, scope: ['repository:team/app:pull', 'repository:team/app:push repository:x:pull'] },
      contentType,
    );
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'issued_at', 'scope']);
    assert.equal(body.scope, 'repository:team/app:pull,push');
    assert.equal(body.expires_in, 300);
    assert.equal(headers.get('cache-control'), 'no-store');
    const { payload } = await jwtVerify(body.access_token, new X509Certificate(server.certificatePem).publicKey, { issuer: 'vra-test', audience: 'registry' });
    assert.deepEqual([payload.sub, payload.access], ['alice', [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]]);
  }
});

test('POST errors in the OAuth2 shape, with the right status', async () => {
  const cases: [Record<string, string>, string, number, ReturnType<typeof oauthError>][] = [
    [{ ...PASSWORD_GRANT, password: 'wrong' }, 'application/x-www-form-urlencoded', 401, oauthError('invalid_grant', 'invalid username or password')],
    [{ ...PASSWORD_GRANT, username: 'nobody' }, 'application/x-www-form-urlencoded', 401, oauthError('invalid_grant', 'invalid username or password')],
    [
      { ...PASSWORD_GRANT, grant_type: 'client_credentials' },
      'application/x-www-form-urlencoded',
      400,
      oauthError('unsupported_grant_type', 'unsupported grant_type "client_credentials": use password or refresh_token'),
    ],
    [{ ...PASSWORD_GRANT, grant_type: '' }, 'application/x-www-form-urlencoded', 400, oauthError('invalid_request', 'grant_type is required')],
    [{ ...PASSWORD_GRANT, client_id: '' }, 'application/x-www-form-urlencoded', 400, oauthError('invalid_request', 'client_id is required')],
    [{ ...PASSWORD_GRANT, password: '' }, 'application/x-www-form-urlencoded', 400, oauthError('invalid_request', 'password is required')],
    [
      { ...PASSWORD_GRANT, scope: 'repository:x' },
      'application/x-www-form-urlencoded',
      400,
      oauthError('invalid_scope', 'invalid scope "repository:x": expected type:name:actions'),
    ],
    [{ ...PASSWORD_GRANT, grant_type: 'refresh_token' }, 'application/x-www-form-urlencoded', 400, oauthError('invalid_request', 'refresh_token is required')],
    [PASSWORD_GRANT, 'application/json', 400, oauthError('invalid_request', 'the body must be application/x-www-form-urlencoded')],
  ];
  for (const [fields, contentType, status, body] of cases) {
    const answer = await post(fields, contentType);
    assert.deepEqual([answer.status, answer.body], [status, body], JSON.stringify(fields));
  }
});

test('POST bodies are bounded: 16 KiB and 128 fields', async () => {
  const big = await post({ ...PASSWORD_GRANT, scope: 'a'.repeat(17_000) });
  assert.deepEqual([big.status, big.body], [400, oauthError('invalid_request', 'the body is larger than 16384 bytes')]);
  const many = await post({ ...PASSWORD_GRANT, ...Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`x${i}`, '1'])) });
  assert.deepEqual([many.status, many.body], [400, oauthError('invalid_request', 'the body has more than 128 fields')]);
});

test('access_type=offline: a refresh token; the refresh grant answers with the same one and the current rights', async () => {
  const login = await post({ ...PASSWORD_GRANT, access_type: 'offline' });
  assert.equal(login.status, 200);
  const refreshToken = login.body.refresh_token as string;
  assert.equal(typeof refreshToken, 'string');
  assert.equal(decodeProtectedHeader(refreshToken).typ, 'vra-refresh+jwt');

  const refreshed = await post({
    grant_type: 'refresh_token',
    client_id: 'docker',
    service: 'registry',
    refresh_token: refreshToken,
    scope: 'repository:team/app:pull,push',
  });
  assert.deepEqual([refreshed.status, refreshed.body.refresh_token, refreshed.body.scope], [200, refreshToken, 'repository:team/app:pull,push']);
  assert.equal(claimsOf(refreshed.body.access_token).sub, 'alice');

  // A right revoked in the store is gone from the next token.
  (users.registry as Record<string, any>).alice.access = 'repository:team/app:pull';
  await writeUsers();
  const narrower = await post({
    grant_type: 'refresh_token',
    client_id: 'docker',
    service: 'registry',
    refresh_token: refreshToken,
    scope: 'repository:team/app:pull,push',
  });
  assert.deepEqual([narrower.status, narrower.body.scope], [200, 'repository:team/app:pull']);
  (users.registry as Record<string, any>).alice.access = 'repository:team/app:pull,push';
  await writeUsers();
});

test('GET offline_token=true gives one too, and containerd’s fallback (Basic with an empty user) accepts it', async () => {
  const login = await getToken(server, 'service=registry&offline_token=true&client_id=docker', ['alice', 'alice-Secret']);
  assert.equal(login.status, 200);
  const refreshToken = login.body.refresh_token as string;
  const fallback = await getToken(server, 'service=registry&scope=repository:team/app:push', ['', refreshToken]);
  assert.equal(fallback.status, 200);
  assert.deepEqual(claimsOf(fallback.body.token).access, [{ type: 'repository', name: 'team/app', actions: ['push'] }]);
  assert.equal(claimsOf(fallback.body.token).sub, 'alice');
  assert.equal(fallback.body.refresh_token, undefined);
});

test('refresh tokens we did not issue, or no longer valid, are refused (401 on POST and on GET)', async () => {
  const login = await post({ ...PASSWORD_GRANT, access_type: 'offline' });
  const good = login.body.refresh_token as string;
  const [header, payload] = good.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const kid = decodeProtectedHeader(good).kid as string;
  const ours = createPrivateKey(await readFile(path.join(server.dir, 'token.key'), 'utf8'));
  const publicPem = createPublicKey(ours).export({ format: 'pem', type: 'spki' }) as string;
  const foreign = await makeKey('p256');
  const sign = (key: Parameters<SignJWT['sign']>[0], alg: string, extra: Record<string, unknown> = {}) =>
    new SignJWT({ ...claims, ...extra }).setProtectedHeader({ typ: 'vra-refresh+jwt', alg, kid }).sign(key);

  const forged: Record<string, string> = {
    'tampered payload': `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'plain' })).toString('base64url')}.${good.split('.')[2]}`,
    'alg none': new UnsecuredJWT(claims).encode(),
    'HS256 with our public key as the secret': await sign(new TextEncoder().encode(publicPem), 'HS256'),
    'a foreign key claiming our kid': await sign(foreign.privateKey, 'ES256'),
    'another service': await sign(ours, 'ES256', { svc: 'other' }),
    'an access token': login.body.access_token,
    garbage: 'not-a-token',
  };
  for (const [what, token] of Object.entries(forged)) {
    const viaPost = await post({ grant_type: 'refresh_token', client_id: 'docker', service: 'registry', refresh_token: token });
    assert.deepEqual([viaPost.status, viaPost.body.error], [401, 'invalid_grant'], what);
    const viaGet = await getToken(server, 'service=registry', ['', token]);
    assert.deepEqual([viaGet.status, viaGet.body], [401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }], what);
  }
  // Used for the other service, where alice also exists: refused, it is bound to registry.
  const elsewhere = await post({ grant_type: 'refresh_token', client_id: 'docker', service: 'other', refresh_token: good });
  assert.equal(elsewhere.status, 401);
  // Still good after all that.
  assert.equal((await post({ grant_type: 'refresh_token', client_id: 'docker', service: 'registry', refresh_token: good })).status, 200);
});

test('a refresh token stops working when the password changes, the user is deleted, or it expires (90 days)', async () => {
  const refresh = async () => (await post({ ...PASSWORD_GRANT, access_type: 'offline' })).body.refresh_token as string;
  const use = async (token: string) => (await post({ grant_type: 'refresh_token', client_id: 'docker', service: 'registry', refresh_token: token })).status;

  const beforeChange = await refresh();
  const saved = (users.registry as Record<string, any>).alice.password;
  (users.registry as Record<string, any>).alice.password = await hashPassword('alice-Secret', 'bcrypt'); // same password, new hash
  await writeUsers();
  assert.equal(await use(beforeChange), 401);

  const beforeDelete = await refresh();
  const alice = (users.registry as Record<string, any>).alice;
  delete (users.registry as Record<string, any>).alice;
  await writeUsers();
  assert.equal(await use(beforeDelete), 401);
  (users.registry as Record<string, any>).alice = { ...alice, password: saved };
  await writeUsers();

  const expiring = await refresh();
  clock.advance(90 * 86_400_000 - 1000);
  assert.equal(await use(expiring), 200);
  clock.advance(2000);
  assert.equal(await use(expiring), 401);
});

test('a user whose password is stored in plaintext gets no refresh token (it would be a guessing oracle), said once in the log', async () => {
  for (let i = 0; i < 2; i += 1) {
    const { status, body } = await post({ ...PASSWORD_GRANT, username: 'plain', password: 'plain-Secret', access_type: 'offline' });
    assert.deepEqual([status, body.refresh_token], [200, undefined]);
  }
  assert.equal(
    server
      .logs()
      .split('\n')
      .filter((line) => line.includes('no refresh token for plain in registry')).length,
    1,
  );
});

test('anonymous: without credentials, what the service grants anonymously; wrong credentials are never downgraded', async () => {
  const anonymous = await getToken(server, 'service=registry&scope=repository:library/alpine:pull,push&scope=repository:team/app:pull');
  assert.equal(anonymous.status, 200);
  assert.equal(claimsOf(anonymous.body.token).sub, '');
  assert.deepEqual(claimsOf(anonymous.body.token).access, [{ type: 'repository', name: 'library/alpine', actions: ['pull'] }]);
  const wrong = await getToken(server, 'service=registry&scope=repository:library/alpine:pull', ['alice', 'wrong']);
  assert.equal(wrong.status, 401);
  // A service without anonymous access still asks for credentials.
  const other = await getToken(server, 'service=other&scope=repository:library/alpine:pull');
  assert.deepEqual([other.status, other.headers.get('www-authenticate')], [401, 'Basic realm="vault-registry-auth", charset="UTF-8"']);
  // Stored in the mount too: `_anonymous`.
  (users.other as Record<string, any>)._anonymous = { access: 'repository:public/*:pull' };
  await writeUsers();
  const stored = await getToken(server, 'service=other&scope=repository:public/x:pull');
  assert.deepEqual([stored.status, claimsOf(stored.body.token).access], [200, [{ type: 'repository', name: 'public/x', actions: ['pull'] }]]);
  const hint = await getToken(server, 'service=registry&account=alice&scope=repository:library/alpine:pull');
  assert.equal(hint.status, 400, 'an account hint without credentials is a mismatch');
  assert.ok(basic('a', 'b'));
});
