/**
 * Throttling of password guessing and the client's address, over HTTP on an
 * in-process server with the file store: wrong passwords lead to a 429 with
 * Retry-After in the shape of the request (Docker's on GET, OAuth2's on
 * POST); the block is per (account, address) pair, so the same account from
 * another address still logs in; a success resets the pair; each new block
 * is longer. The address is the socket's, or X-Forwarded-For's through
 * trusted proxies only. Short blocks (seconds), no timing assertions.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { ServerEvents, type ServerEventMap } from '../../src/events.js';
import { basic, startTestServer, type TestServer } from '../helpers/token-server.js';

const PASSWORD = 'right-Secret-1';
const ACCOUNTS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const USERS = { registry: Object.fromEntries(ACCOUNTS.map((name) => [name, { password: PASSWORD, access: 'repository:team/app:pull' }])) };
const QUERY = 'service=registry&scope=repository:team/app:pull';

const events = new ServerEvents();
const granted: Array<ServerEventMap['token.granted'][0]> = [];
events.on('token.granted', (event) => granted.push(event));

let server: TestServer;
let plain: TestServer;
before(async () => {
  const throttle = { failures: { pair: 3, client: 50, account: 50 }, window: '1m', block: '2s', max_block: '8s' };
  server = await startTestServer(
    { storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], http: { trusted_proxies: ['loopback'] }, throttle },
    { events },
  );
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
  // No trusted proxies: X-Forwarded-For is anybody's claim.
  plain = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], throttle }, { events });
  await writeFile(path.join(plain.dir, 'users.yml'), yaml.dump(USERS));
});
after(async () => {
  await server.close();
  await plain.close();
});

type Answer = { status: number; retryAfter: string | null; body: unknown };

/** GET with Basic credentials, from `from` as the trusted proxy tells it. */
async function get(target: TestServer, account: string, password: string, from: string): Promise<Answer> {
  const response = await fetch(`${target.url}/auth?${QUERY}`, { headers: { Authorization: basic(account, password), 'X-Forwarded-For': from } });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

async function post(target: TestServer, account: string, password: string, from: string): Promise<Answer> {
  const response = await fetch(`${target.url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': from },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'test',
      service: 'registry',
      username: account,
      password,
      scope: 'repository:team/app:pull',
    }).toString(),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

const dockerThrottled = (seconds: string) => ({ errors: [{ code: 'TOO_MANY_REQUESTS', message: `too many failed logins: try again in ${seconds} s` }] });
const oauthThrottled = (seconds: string) => ({
  error: 'temporarily_unavailable',
  error_description: `too many failed logins: try again in ${seconds} s`,
  details: `too many failed logins: try again in ${seconds} s`,
});

async function fail(times: number, send: () => Promise<Answer>): Promise<void> {
  for (let i = 0; i < times; i += 1) assert.equal((await send()).status, 401, `failure ${i + 1}`);
}

test('GET: 3 wrong passwords, then 429 with Retry-After and Docker’s body; the right password is refused too, from that address', async () => {
  await fail(3, () => get(server, 'alice', 'wrong', '198.51.100.1'));
  const blocked = await get(server, 'alice', 'wrong', '198.51.100.1');
  assert.equal(blocked.status, 429);
  assert.ok(blocked.retryAfter === '1' || blocked.retryAfter === '2', String(blocked.retryAfter));
  assert.deepEqual(blocked.body, dockerThrottled(blocked.retryAfter as string));

  const right = await get(server, 'alice', PASSWORD, '198.51.100.1');
  assert.equal(right.status, 429);
  assert.deepEqual(right.body, dockerThrottled(right.retryAfter as string));

  // The same account from another address is not blocked: a guesser elsewhere does not lock the user out.
  const elsewhere = await get(server, 'alice', PASSWORD, '198.51.100.2');
  assert.equal(elsewhere.status, 200);
  assert.equal(granted.at(-1)?.client, '198.51.100.2');
});

test('POST: 3 wrong passwords, then 429 with Retry-After and OAuth2’s body', async () => {
  await fail(3, () => post(server, 'bob', 'wrong', '198.51.100.3'));
  const blocked = await post(server, 'bob', PASSWORD, '198.51.100.3');
  assert.equal(blocked.status, 429);
  assert.ok(blocked.retryAfter === '1' || blocked.retryAfter === '2', String(blocked.retryAfter));
  assert.deepEqual(blocked.body, oauthThrottled(blocked.retryAfter as string));
  // GET and POST count together: the pair is blocked on GET as well.
  assert.equal((await get(server, 'bob', PASSWORD, '198.51.100.3')).status, 429);
});

test('a success resets the pair: 2 failures, a success, 2 failures again: still no block', async () => {
  await fail(2, () => get(server, 'carol', 'wrong', '198.51.100.4'));
  assert.equal((await get(server, 'carol', PASSWORD, '198.51.100.4')).status, 200);
  await fail(2, () => get(server, 'carol', 'wrong', '198.51.100.4'));
  assert.equal((await get(server, 'carol', PASSWORD, '198.51.100.4')).status, 200);
});

test('each new block is longer: the second lockout of a pair lasts twice the first', async () => {
  await fail(3, () => get(server, 'dave', 'wrong', '198.51.100.5'));
  const first = await get(server, 'dave', 'wrong', '198.51.100.5');
  assert.equal(first.status, 429);
  assert.ok(Number(first.retryAfter) <= 2, String(first.retryAfter));
  // Wait out the first block (2 s at most).
  await new Promise((resolve) => setTimeout(resolve, Number(first.retryAfter) * 1000 + 100));
  await fail(3, () => get(server, 'dave', 'wrong', '198.51.100.5'));
  const second = await get(server, 'dave', 'wrong', '198.51.100.5');
  assert.equal(second.status, 429);
  assert.ok(Number(second.retryAfter) >= 3 && Number(second.retryAfter) <= 4, String(second.retryAfter));
  assert.deepEqual(second.body, dockerThrottled(second.retryAfter as string));
});

test('without trusted proxies X-Forwarded-For is ignored: the socket’s address is the client, and blocked', async () => {
  await fail(3, () => get(plain, 'erin', 'wrong', '203.0.113.1'));
  // Another claimed address does not help: the throttle sees 127.0.0.1 every time.
  const claimed = await get(plain, 'erin', PASSWORD, '203.0.113.2');
  assert.equal(claimed.status, 429);
  assert.equal((await get(plain, 'frank', PASSWORD, '203.0.113.3')).status, 200);
  assert.equal(granted.at(-1)?.client, '127.0.0.1');
});

test('with trusted proxies, the client is the first untrusted address of X-Forwarded-For', async () => {
  // Only loopback is trusted: the right-most address that is not loopback is the client,
  // whatever the client wrote left of it.
  assert.equal((await get(server, 'frank', PASSWORD, '192.0.2.66, 198.51.100.77')).status, 200);
  assert.equal(granted.at(-1)?.client, '198.51.100.77');
  assert.equal((await get(server, 'frank', PASSWORD, '198.51.100.78, 127.0.0.1')).status, 200);
  assert.equal(granted.at(-1)?.client, '198.51.100.78');
});
