/**
 * Every token request ends in exactly one event, token.granted or
 * token.denied, with what the audit log and the metrics need: request id,
 * client address, service, account, requested and granted scopes, the token's
 * id and expiry or the reason of the refusal. Never a password or a token.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import yaml from 'js-yaml';
import { ServerEvents, type ServerEventMap } from '../../src/events.js';
import { claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const USERS = { registry: { foo: { password: 'bar-Secret-1', access: 'repository:linux/app:*;repository:linux/db:pull' } } };

type Seen = { name: 'token.granted'; event: ServerEventMap['token.granted'][0] } | { name: 'token.denied'; event: ServerEventMap['token.denied'][0] };

const events = new ServerEvents();
let seen: Seen[] = [];
events.on('token.granted', (event) => seen.push({ name: 'token.granted', event }));
events.on('token.denied', (event) => seen.push({ name: 'token.denied', event }));

let server: TestServer;
before(async () => {
  server = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }] }, { events });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
});
after(() => server.close());
beforeEach(() => {
  seen = [];
});

/** The event without its duration (a measurement, checked apart). */
function withoutDuration(entry: Seen): Record<string, unknown> {
  const { durationMs, ...rest } = entry.event;
  assert.equal(typeof durationMs, 'number');
  assert.ok(durationMs >= 0);
  return { name: entry.name, ...rest };
}

test('a partial grant: one token.granted with the requested and granted scopes, the jti and expiry of the token', async () => {
  const query = 'service=registry&scope=repository:linux/app:pull,push&scope=repository:linux/db:pull,push';
  const { status, headers, body } = await getToken(server, query, ['foo', 'bar-Secret-1']);
  assert.equal(status, 200);
  const claims = claimsOf(body.token);
  assert.equal(seen.length, 1);
  assert.deepEqual(withoutDuration(seen[0]!), {
    name: 'token.granted',
    requestId: headers.get('x-request-id'),
    client: '127.0.0.1',
    method: 'GET',
    service: 'registry',
    account: 'foo',
    grant: 'password',
    requested: ['repository:linux/app:pull,push', 'repository:linux/db:pull,push'],
    granted: ['repository:linux/app:pull,push', 'repository:linux/db:pull'],
    jti: claims.jti,
    expiresAt: claims.exp,
  });
  assert.match(headers.get('x-request-id') ?? '', /^[A-Za-z0-9_-]{22}$/u);
});

test('a wrong password: one token.denied naming the claimed user and the reason, never the password', async () => {
  const { status } = await getToken(server, 'service=registry&scope=repository:linux/app:pull', ['foo', 'wrong-Secret']);
  assert.equal(status, 401);
  assert.equal(seen.length, 1);
  const entry = withoutDuration(seen[0]!);
  assert.deepEqual(
    { ...entry, requestId: typeof entry.requestId },
    {
      name: 'token.denied',
      requestId: 'string',
      client: '127.0.0.1',
      method: 'GET',
      service: 'registry',
      account: 'foo',
      grant: 'password',
      requested: ['repository:linux/app:pull'],
      granted: [],
      reason: 'UNAUTHORIZED',
      status: 401,
    },
  );
  assert.doesNotMatch(JSON.stringify(seen), /wrong-Secret/u);
});

test('a bad request over POST: token.denied with the request error; the client’s X-Request-Id is kept and echoed', async () => {
  const response = await fetch(`${server.url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Request-Id': 'proxy-req.42' },
    body: 'service=registry&grant_type=password&username=foo&password=bar-Secret-1',
  });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('x-request-id'), 'proxy-req.42');
  assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'client_id is required', details: 'client_id is required' });
  assert.equal(seen.length, 1);
  assert.deepEqual(withoutDuration(seen[0]!), {
    name: 'token.denied',
    requestId: 'proxy-req.42',
    client: '127.0.0.1',
    method: 'POST',
    service: 'registry',
    account: undefined,
    grant: undefined,
    requested: [],
    granted: [],
    reason: 'INVALID_REQUEST',
    status: 400,
  });
});

test('an X-Request-Id that is not a sane id is replaced; requests that are not token requests emit nothing', async () => {
  const response = await fetch(`${server.url}/jwks`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('x-request-id') ?? '', /^[A-Za-z0-9_-]{22}$/u);
  await response.arrayBuffer();
  assert.deepEqual(seen, []);
});
