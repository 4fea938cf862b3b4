/**
 * The realm endpoint over HTTP, with exact status codes and bodies, on the
 * embedded file store (no peers needed). The same endpoint against a real
 * Vault is tested in vault.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import yaml from 'js-yaml';
import { basic, claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const USERS = {
  registry: {
    foo: { password: 'bar-Secret-1', access: 'repository:linux/app:*;repository:linux/db:pull' },
    colon: { password: 'pa:ss:word', access: 'repository:linux/db:pull' },
    cat: { password: 'cat-Secret-2', access: 'registry:catalog:*;repository:localhost:5000/x:pull' },
    messy: { password: 'messy-Secret-3', access: ' repository:linux/db:pull ; garbage ; repository:linux/app: ;' },
    none: { password: 'none-Secret-4', access: '' },
    grouped: { password: 'grouped-Secret-5', access: 'repository:users/${account}/**:*', groups: 'devs, ops, missing' },
    _groups: { devs: { access: 'repository:team/**:pull' }, ops: { access: 'repository:team/db:push;registry:catalog:*' } },
  },
};

let server: TestServer;

before(async () => {
  server = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }] });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
});
after(() => server.close());

const UNAUTHORIZED_BAD = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };

test('200: the intersection of what was asked and what the user may do', async () => {
  const { status, headers, body } = await getToken(server, 'service=registry&scope=repository:linux/app:pull,push&scope=repository:linux/db:pull,push', [
    'foo',
    'bar-Secret-1',
  ]);
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
  assert.equal(body.token, body.access_token);
  assert.equal(body.expires_in, 300);
  assert.match(body.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/u);
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.match(headers.get('content-type') ?? '', /^application\/json/u);

  const { payload } = await jwtVerify(body.token, new X509Certificate(server.certificatePem).publicKey, { issuer: 'vra-test', audience: 'registry' });
  assert.equal(payload.sub, 'foo');
  assert.equal(payload.aud, 'registry');
  assert.equal((payload.exp as number) - (payload.iat as number), 300);
  assert.equal(new Date(body.issued_at).getTime() / 1000, payload.iat);
  assert.deepEqual(payload.access, [
    { type: 'repository', name: 'linux/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'linux/db', actions: ['pull'] },
  ]);
  assert.deepEqual(decodeProtectedHeader(body.token).typ, 'JWT');
});

test('both realm paths answer: /auth (Godoauth) and /auth/token (registry autoredirect)', async () => {
  const scope = 'service=registry&scope=repository:linux/db:pull';
  const viaAuth = await getToken(server, scope, ['foo', 'bar-Secret-1'], '/auth');
  const viaToken = await getToken(server, scope, ['foo', 'bar-Secret-1'], '/auth/token');
  assert.deepEqual([viaAuth.status, viaToken.status], [200, 200]);
  assert.deepEqual(claimsOf(viaToken.body.token).access, [{ type: 'repository', name: 'linux/db', actions: ['pull'] }]);
});

test('no scope or an empty scope (docker login): 200 with empty access', async () => {
  for (const query of ['service=registry', 'service=registry&scope=', 'service=registry&scope=&client_id=docker&offline_token=false']) {
    const { status, body } = await getToken(server, query, ['foo', 'bar-Secret-1']);
    assert.equal(status, 200, query);
    assert.deepEqual(claimsOf(body.token).access, []);
  }
});

test('several scopes in one parameter, separated by spaces (crane, oras)', async () => {
  const scopes = encodeURIComponent('repository:linux/app:pull repository:linux/db:push,pull');
  const { status, body } = await getToken(server, `service=registry&scope=${scopes}`, ['foo', 'bar-Secret-1']);
  assert.equal(status, 200);
  assert.deepEqual(claimsOf(body.token).access, [
    { type: 'repository', name: 'linux/app', actions: ['pull'] },
    { type: 'repository', name: 'linux/db', actions: ['pull'] },
  ]);
});

test('the catalog, and names with host:port', async () => {
  const { status, body } = await getToken(server, 'service=registry&scope=registry:catalog:*&scope=repository:localhost:5000/x:pull,push', [
    'cat',
    'cat-Secret-2',
  ]);
  assert.equal(status, 200);
  assert.deepEqual(claimsOf(body.token).access, [
    { type: 'registry', name: 'catalog', actions: ['*'] },
    { type: 'repository', name: 'localhost:5000/x', actions: ['pull'] },
  ]);
});

test('lacking permission is not an error: 200 with empty access', async () => {
  const { status, body } = await getToken(server, 'service=registry&scope=repository:linux/app:push', ['none', 'none-Secret-4']);
  assert.equal(status, 200);
  assert.deepEqual(claimsOf(body.token).access, []);
});

test('a password with colons: the credentials split at the first colon', async () => {
  const { status } = await getToken(server, 'service=registry&scope=repository:linux/db:pull', ['colon', 'pa:ss:word']);
  assert.equal(status, 200);
});

test('no service: the only configured service is meant', async () => {
  const { status, body } = await getToken(server, 'scope=repository:linux/db:pull', ['foo', 'bar-Secret-1']);
  assert.equal(status, 200);
  assert.equal(claimsOf(body.token).aud, 'registry');
});

test('401 without credentials, with a Basic challenge', async () => {
  const { status, headers, body } = await getToken(server, 'service=registry&scope=repository:linux/db:pull');
  assert.equal(status, 401);
  assert.equal(headers.get('www-authenticate'), 'Basic realm="vault-registry-auth", charset="UTF-8"');
  assert.deepEqual(body, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: send HTTP Basic credentials' }] });
});

test('401: an unknown user and a wrong password get the very same answer', async () => {
  const query = 'service=registry&scope=repository:linux/db:pull';
  const answers = await Promise.all([
    getToken(server, query, ['foo', 'wrong']),
    getToken(server, query, ['nobody', 'wrong']),
    getToken(server, query, ['foo', '']),
    getToken(server, query, ['../registry/foo', 'bar-Secret-1']),
    getToken(server, query, ['', 'bar-Secret-1']),
  ]);
  for (const answer of answers) {
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('www-authenticate'), 'Basic realm="vault-registry-auth", charset="UTF-8"');
    assert.equal(answer.headers.get('content-length'), answers[0]?.headers.get('content-length'));
    assert.deepEqual(answer.body, UNAUTHORIZED_BAD);
  }
});

test('400: a malformed scope, naming it', async () => {
  const { status, body } = await getToken(server, 'service=registry&scope=repository:linux', ['foo', 'bar-Secret-1']);
  assert.equal(status, 400);
  assert.deepEqual(body, { errors: [{ code: 'INVALID_SCOPE', message: 'invalid scope "repository:linux": expected type:name:actions' }] });
});

test('400: a service not in the services list, or not a plain name', async () => {
  const unknown = await getToken(server, 'service=other&scope=repository:linux/db:pull', ['foo', 'bar-Secret-1']);
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body, { errors: [{ code: 'UNKNOWN_SERVICE', message: 'unknown service: "other"' }] });
  const traversal = await getToken(server, `service=${encodeURIComponent('../sys')}`, ['foo', 'bar-Secret-1']);
  assert.equal(traversal.status, 400);
  assert.deepEqual(traversal.body, { errors: [{ code: 'INVALID_REQUEST', message: 'the service "../sys" must not contain ".."' }] });
  const twice = await getToken(server, 'service=registry&service=registry', ['foo', 'bar-Secret-1']);
  assert.deepEqual([twice.status, twice.body], [400, { errors: [{ code: 'INVALID_REQUEST', message: 'the service parameter must be given once' }] }]);
});

test('account is a hint: equal to the user is fine, anything else is a 400', async () => {
  const same = await getToken(server, 'service=registry&account=foo&scope=repository:linux/db:pull', ['foo', 'bar-Secret-1']);
  assert.equal(same.status, 200);
  assert.equal(claimsOf(same.body.token).sub, 'foo');
  const other = await getToken(server, 'service=registry&account=cat&scope=registry:catalog:*', ['foo', 'bar-Secret-1']);
  assert.equal(other.status, 400);
  assert.deepEqual(other.body, { errors: [{ code: 'ACCOUNT_MISMATCH', message: 'the account parameter does not match the authenticated user' }] });
});

test('unparseable access entries are ignored (and logged once); the rest still works', async () => {
  for (let i = 0; i < 3; i += 1) {
    const { status, body } = await getToken(server, 'service=registry&scope=repository:linux/db:pull&scope=repository:linux/app:pull', [
      'messy',
      'messy-Secret-3',
    ]);
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, [{ type: 'repository', name: 'linux/db', actions: ['pull'] }]);
  }
  const warnings = server
    .logs()
    .split('\n')
    .filter((line) => line.includes("part of a user's rights cannot be used"));
  assert.deepEqual(warnings.map((line) => JSON.parse(line).problem).sort(), [
    'the user\'s entry "garbage" ignored: expected type:name:actions',
    'the user\'s entry "repository:linux/app:" ignored: no actions: expected a comma-separated list such as pull,push, or *',
  ]);
});

test("groups: the user's own entries and every group's, united; a missing group is logged once", async () => {
  const scopes = ['repository:team/db:pull,push,delete', 'repository:team/a/b:pull', 'repository:users/grouped/x:push', 'registry:catalog:*']
    .map((scope) => `scope=${scope}`)
    .join('&');
  for (let i = 0; i < 2; i += 1) {
    const { status, body } = await getToken(server, `service=registry&${scopes}`, ['grouped', 'grouped-Secret-5']);
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, [
      { type: 'repository', name: 'team/db', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team/a/b', actions: ['pull'] },
      { type: 'repository', name: 'users/grouped/x', actions: ['push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  }
  const missing = server
    .logs()
    .split('\n')
    .filter((line) => line.includes('group \\"missing\\" does not exist'));
  assert.equal(missing.length, 1);
});

test('the groups folder, or any name starting with _, is never a user', async () => {
  for (const name of ['_groups', '_devs']) {
    const { status, body } = await getToken(server, 'service=registry', [name, 'x']);
    assert.deepEqual([status, body], [401, UNAUTHORIZED_BAD]);
  }
});

test('a plaintext password (Godoauth) works and is reported once, with how to hash it', async () => {
  for (let i = 0; i < 3; i += 1) assert.equal((await getToken(server, 'service=registry', ['none', 'none-Secret-4'])).status, 200);
  const warnings = server
    .logs()
    .split('\n')
    .filter((line) => line.includes('the password of none in registry is stored in plaintext'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /vault-registry-auth user passwd registry none, or htpasswd -nB none/u);
  assert.equal(server.logs().includes('none-Secret-4'), false);
});

test('404 and 405 in the same JSON shape', async () => {
  const missing = await fetch(`${server.url}/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
  const put = await fetch(`${server.url}/auth`, { method: 'PUT', headers: { Authorization: basic('foo', 'bar-Secret-1') } });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'HEAD, GET, POST');
  assert.deepEqual(await put.json(), { errors: [{ code: 'METHOD_NOT_ALLOWED', message: 'PUT is not allowed here' }] });
});

test('garbage never crashes the server', async () => {
  const nasty = [
    'scope=%ff%fe',
    `scope=${'a'.repeat(5000)}`,
    `scope=${Array.from({ length: 200 }, (_, i) => `repository:r${i}:pull`).join('+')}`,
    'service=%00',
    'service[]=x',
    'scope[a]=b',
    'account=%ff',
  ];
  for (const query of nasty) {
    const { status } = await getToken(server, query, ['foo', 'bar-Secret-1']);
    assert.ok(status === 400 || status === 200, `${query} → ${status}`);
  }
  for (const header of ['Basic', 'Basic %%%', `Basic ${'A'.repeat(10_000)}`, 'Bearer x', 'Basic '.repeat(100)]) {
    const response = await fetch(`${server.url}/auth?service=registry`, { headers: { Authorization: header } });
    assert.equal(response.status, 401, header.slice(0, 20));
  }
  assert.equal((await getToken(server, 'service=registry', ['foo', 'bar-Secret-1'])).status, 200);
});

test('one access line per request; never a password, token or Authorization header', async () => {
  const { body } = await getToken(server, 'service=registry&scope=repository:linux/app:push', ['foo', 'bar-Secret-1']);
  const lines = server
    .logs()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines.filter((line) => line.message === 'request').at(-1);
  assert.ok(last);
  const { duration_ms: duration, request_id: requestId, ...fields } = last;
  assert.equal(typeof duration, 'number');
  assert.match(String(requestId), /^[A-Za-z0-9_-]{22}$/u);
  assert.deepEqual(fields, {
    level: 'info',
    message: 'request',
    client: '127.0.0.1',
    method: 'GET',
    path: '/auth',
    status: 200,
    service: 'registry',
    account: 'foo',
    grant: 'password',
    granted: ['repository:linux/app:push'],
  });
  const all = server.logs();
  for (const secret of [
    'bar-Secret-1',
    'cat-Secret-2',
    'messy-Secret-3',
    'pa:ss:word',
    body.token,
    Buffer.from('foo:bar-Secret-1').toString('base64'),
    'Basic ',
  ]) {
    assert.equal(all.includes(secret), false, `the log holds ${secret.slice(0, 12)}…`);
  }
});

test('two Authorization headers (found by the HTTP fuzz suite: Node kept the first, a proxy may have checked the other): 400, even when both are right', async () => {
  for (const second of [basic('foo', 'bar-Secret-1'), basic('cat', 'cat-Secret-2')]) {
    const { status, body } = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const request = http.get(
        `${server.url}/auth?service=registry&scope=repository:linux/app:pull`,
        { headers: { Authorization: [basic('foo', 'bar-Secret-1'), second] } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      request.on('error', reject);
    });
    assert.deepEqual([status, body], [400, { errors: [{ code: 'INVALID_REQUEST', message: 'the Authorization header must be given once' }] }]);
  }
});
