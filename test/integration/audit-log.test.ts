/**
 * The audit log: one JSON line per token decision, in the file
 * `audit.output` names (relative to the config file's folder), with the
 * request id, the client, what was asked, what was granted, the outcome
 * and the token's id and expiry, or the reason of the refusal. Never a
 * password or a token. On the embedded file store: no peer needed.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { hashPassword } from '../../src/passwords/hash.js';
import { claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const PASSWORD = 'bar-Secret-1';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/u;

let server: TestServer;
let auditFile: string;
/** Every token (and refresh token) answered during the tests: none may be in the audit file. */
const tokens: string[] = [];

before(async () => {
  server = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], audit: { output: 'logs/audit.log' } });
  // Hashed: a plaintext password gets no refresh token.
  const users = { registry: { foo: { password: await hashPassword(PASSWORD, 'bcrypt'), access: 'repository:linux/app:*;repository:linux/db:pull' } } };
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(users));
  auditFile = path.join(server.dir, 'logs', 'audit.log');
});
after(() => server.close());

/** The file's lines once it has `count` of them (it is written asynchronously, after the answer may have left). */
async function auditLines(count: number): Promise<string[]> {
  for (let attempt = 0; ; attempt += 1) {
    const text = await readFile(auditFile, 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean);
    if (lines.length >= count || attempt >= 200) {
      assert.equal(lines.length, count, text);
      return lines;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The last line, parsed, its time checked by format and left out. */
async function lastRecord(count: number): Promise<Record<string, unknown>> {
  const line = (await auditLines(count)).at(-1) as string;
  assert.match(line, /^\{"time":"/u, 'time comes first');
  const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  assert.match(String(time), ISO_TIME);
  return rest;
}

test('a grant: outcome granted, status 200, the token’s jti and expiry', async () => {
  const { status, headers, body } = await getToken(server, 'service=registry&scope=repository:linux/app:pull,push', ['foo', PASSWORD]);
  assert.equal(status, 200);
  tokens.push(body.token);
  const claims = claimsOf(body.token);
  assert.deepEqual(await lastRecord(1), {
    request_id: headers.get('x-request-id'),
    client: '127.0.0.1',
    service: 'registry',
    account: 'foo',
    grant: 'password',
    requested: ['repository:linux/app:pull,push'],
    granted: ['repository:linux/app:pull,push'],
    outcome: 'granted',
    status: 200,
    jti: claims.jti,
    expires_at: new Date(claims.exp * 1000).toISOString(),
  });
});

test('a partial grant: fewer actions than asked, compared action by action', async () => {
  const query = 'service=registry&scope=repository:linux/app:pull,push&scope=repository:linux/db:pull,push';
  const { status, headers, body } = await getToken(server, query, ['foo', PASSWORD]);
  assert.equal(status, 200);
  tokens.push(body.token);
  const claims = claimsOf(body.token);
  assert.deepEqual(await lastRecord(2), {
    request_id: headers.get('x-request-id'),
    client: '127.0.0.1',
    service: 'registry',
    account: 'foo',
    grant: 'password',
    requested: ['repository:linux/app:pull,push', 'repository:linux/db:pull,push'],
    granted: ['repository:linux/app:pull,push', 'repository:linux/db:pull'],
    outcome: 'partial',
    status: 200,
    jti: claims.jti,
    expires_at: new Date(claims.exp * 1000).toISOString(),
  });
});

test('a wrong password: outcome denied, the reason and status, the claimed user, no password', async () => {
  const { status, headers } = await getToken(server, 'service=registry&scope=repository:linux/app:pull', ['foo', 'wrong-Secret-9']);
  assert.equal(status, 401);
  assert.deepEqual(await lastRecord(3), {
    request_id: headers.get('x-request-id'),
    client: '127.0.0.1',
    service: 'registry',
    account: 'foo',
    grant: 'password',
    requested: ['repository:linux/app:pull'],
    granted: [],
    outcome: 'denied',
    status: 401,
    reason: 'UNAUTHORIZED',
  });
});

test('a bad request (POST without client_id): denied, INVALID_REQUEST, nothing known is null', async () => {
  const response = await fetch(`${server.url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Request-Id': 'audit-req.7' },
    body: `service=registry&grant_type=password&username=foo&password=${PASSWORD}`,
  });
  assert.equal(response.status, 400);
  await response.arrayBuffer();
  assert.deepEqual(await lastRecord(4), {
    request_id: 'audit-req.7',
    client: '127.0.0.1',
    service: 'registry',
    account: null,
    grant: null,
    requested: [],
    granted: [],
    outcome: 'denied',
    status: 400,
    reason: 'INVALID_REQUEST',
  });
});

test('a refresh token grant over POST is audited; no password, access token or refresh token is ever in the file', async () => {
  const form = (fields: Record<string, string>) =>
    fetch(`${server.url}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  const login = await form({ grant_type: 'password', client_id: 'docker', access_type: 'offline', service: 'registry', username: 'foo', password: PASSWORD });
  assert.equal(login.status, 200);
  const issued = (await login.json()) as { access_token: string; refresh_token: string };
  const refreshed = await form({
    grant_type: 'refresh_token',
    client_id: 'docker',
    service: 'registry',
    refresh_token: issued.refresh_token,
    scope: 'repository:linux/db:pull',
  });
  assert.equal(refreshed.status, 200);
  const again = (await refreshed.json()) as { access_token: string };
  tokens.push(issued.access_token, issued.refresh_token, again.access_token);
  assert.deepEqual(
    { ...(await lastRecord(6)), request_id: 'checked', jti: 'checked', expires_at: 'checked' },
    {
      request_id: 'checked',
      client: '127.0.0.1',
      service: 'registry',
      account: 'foo',
      grant: 'refresh_token',
      requested: ['repository:linux/db:pull'],
      granted: ['repository:linux/db:pull'],
      outcome: 'granted',
      status: 200,
      jti: 'checked',
      expires_at: 'checked',
    },
  );
  const text = await readFile(auditFile, 'utf8');
  for (const secret of [PASSWORD, 'wrong-Secret-9', ...tokens]) assert.equal(text.includes(secret), false, 'a secret in the audit log');
  // No JWT of any kind (three base64url parts), not even a part of one.
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/u);
});
