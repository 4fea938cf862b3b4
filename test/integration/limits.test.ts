/**
 * The server's limits and timeouts (`http.timeout`, `http.header_timeout`,
 * `http.keep_alive_timeout`, `http.max_header_size`, the 16 KiB form body),
 * each answered with its exact status and JSON body (and the fixed limits of
 * a request shown at their value and one past it), and unknown paths with
 * a JSON 404. Raw sockets where a client library would hide the answer. On
 * the embedded file store: no peer needed.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { basic, claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

let server: TestServer;
let port: number;

before(async () => {
  server = await startTestServer({
    storage: { file: { path: 'users.yml' } },
    http: { timeout: '2s', header_timeout: '1s', keep_alive_timeout: '1s', max_header_size: '4KiB' },
  });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump({ registry: { foo: { password: 'bar-Secret-1', access: 'repository:a:pull' } } }));
  port = Number(new URL(server.url).port);
});
after(() => server.close());

interface Exchange {
  /** Everything the server sent. */
  readonly text: string;
  /** Whether the server closed the connection (rather than the test giving up after `giveUpMs`). */
  readonly closedByServer: boolean;
}

/**
 * Sends `request`, then each of `drip` every `everyMs` (a slow client);
 * resolves when the server closes the connection, or after `giveUpMs`.
 */
function raw(
  request: string,
  { drip = [], everyMs = 200, giveUpMs = 15_000 }: { drip?: string[]; everyMs?: number; giveUpMs?: number } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(request);
      const rest = [...drip];
      timer = setInterval(() => {
        const next = rest.shift();
        if (next !== undefined && socket.writable) socket.write(next);
      }, everyMs);
    });
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, giveUpMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ text, closedByServer: true });
    });
  });
}

const head = (text: string): string => text.slice(0, text.indexOf('\r\n\r\n'));
const jsonBody = (text: string): unknown => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
const AUTH = `Authorization: ${basic('foo', 'bar-Secret-1')}\r\n`;

test('headers over http.max_header_size (4 KiB here): 431 in JSON, and the connection closed', async () => {
  const exchange = await raw(`GET /auth?service=registry HTTP/1.1\r\nHost: x\r\n${AUTH}X-Big: ${'a'.repeat(5000)}\r\n\r\n`);
  assert.deepEqual(head(exchange.text).split('\r\n'), [
    'HTTP/1.1 431 Request Header Fields Too Large',
    'Content-Type: application/json; charset=utf-8',
    'Content-Length: 85',
    'Connection: close',
  ]);
  assert.deepEqual(jsonBody(exchange.text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request headers are too large' }] });
  assert.equal(exchange.closedByServer, true);
});

test('headers within the limit are served', async () => {
  const exchange = await raw(
    `GET /auth?service=registry&scope=repository:a:pull HTTP/1.1\r\nHost: x\r\n${AUTH}X-Big: ${'a'.repeat(3000)}\r\nConnection: close\r\n\r\n`,
  );
  assert.match(exchange.text, /^HTTP\/1\.1 200 OK\r\n/u);
});

test('headers not complete within http.header_timeout: 408 in JSON', async () => {
  const exchange = await raw('GET /auth HTTP/1.1\r\nHost: x\r\n', { drip: Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: 1\r\n`) });
  assert.match(exchange.text, /^HTTP\/1\.1 408 Request Timeout\r\n/u);
  assert.deepEqual(jsonBody(exchange.text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request was not received in time' }] });
  assert.equal(exchange.closedByServer, true);
});

test('a body not complete within http.timeout: 408 in JSON', async () => {
  const body = 'grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1';
  const exchange = await raw(
    `POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 4)}`,
    { drip: body.slice(4).split(''), everyMs: 300 },
  );
  assert.match(exchange.text, /^HTTP\/1\.1 408 Request Timeout\r\n/u);
  assert.deepEqual(jsonBody(exchange.text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request was not received in time' }] });
  assert.equal(exchange.closedByServer, true);
});

test('an idle kept-alive connection is closed after http.keep_alive_timeout', async () => {
  const exchange = await raw(`GET /auth?service=registry&scope=repository:a:pull HTTP/1.1\r\nHost: x\r\n${AUTH}\r\n`);
  assert.match(exchange.text, /^HTTP\/1\.1 200 OK\r\n/u);
  assert.match(exchange.text, /\r\nKeep-Alive: timeout=1\r\n/u);
  assert.equal(exchange.closedByServer, true);
});

test('a form body over 16 KiB: 400 in OAuth2’s shape', async () => {
  const response = await fetch(`${server.url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1&pad=${'a'.repeat(16 * 1024)}`,
  });
  assert.equal(response.status, 400);
  const message = 'the body is larger than 16384 bytes';
  assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: message, details: message });
});

test('unknown paths: 404 in JSON, whatever the method', async () => {
  for (const method of ['GET', 'POST', 'HEAD']) {
    const response = await fetch(`${server.url}/v2/nothing/here`, { method });
    assert.equal(response.status, 404, method);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8', method);
    const text = await response.text();
    if (method !== 'HEAD') assert.deepEqual(JSON.parse(text), { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }, method);
  }
  const { status, body } = await getToken(server, 'service=registry', undefined, '/auth/nothing');
  assert.deepEqual([status, body], [404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }]);
});

// --- each limit at its value and one past it (issue 10, item 4) ---

const FOO = ['foo', 'bar-Secret-1'] as [string, string];
const A_PULL = { type: 'repository', name: 'a', actions: ['pull'] };

/** POSTs `body` as a form; returns status and parsed JSON. */
async function postForm(body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  return { status: response.status, body: await response.json() };
}

/** `text` padded with a last field `pad=aaa…` to exactly `length` characters. */
function padded(text: string, length: number): string {
  const result = `${text}&pad=${'a'.repeat(length - text.length - '&pad='.length)}`;
  assert.equal(result.length, length);
  return result;
}

const PASSWORD_FORM = 'grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1&scope=repository:a:pull';

test('64 scopes in one request are served; 65 are refused with 400, on GET and POST', async () => {
  const scopes = (count: number) => Array.from({ length: count }, () => 'scope=repository:a:pull').join('&');
  const atLimit = await getToken(server, `service=registry&${scopes(64)}`, FOO);
  assert.equal(atLimit.status, 200);
  assert.deepEqual(claimsOf(atLimit.body.token).access, [A_PULL]);
  const past = await getToken(server, `service=registry&${scopes(65)}`, FOO);
  assert.deepEqual([past.status, past.body], [400, { errors: [{ code: 'INVALID_SCOPE', message: 'more than 64 scopes' }] }]);

  // Several scopes in one value, separated by spaces, count one by one.
  const spaced = (count: number) => `scope=${Array.from({ length: count }, () => 'repository:a:pull').join('%20')}`;
  assert.equal((await postForm(`grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1&${spaced(64)}`)).status, 200);
  const postPast = await postForm(`grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1&${spaced(65)}`);
  assert.deepEqual(
    [postPast.status, postPast.body],
    [400, { error: 'invalid_scope', error_description: 'more than 64 scopes', details: 'more than 64 scopes' }],
  );
});

test('a form body of exactly 16384 bytes is served; 16385 get 400', async () => {
  const atLimit = await postForm(padded(PASSWORD_FORM, 16_384));
  assert.equal(atLimit.status, 200);
  assert.equal(atLimit.body.scope, 'repository:a:pull');
  const past = await postForm(padded(PASSWORD_FORM, 16_385));
  const message = 'the body is larger than 16384 bytes';
  assert.deepEqual([past.status, past.body], [400, { error: 'invalid_request', error_description: message, details: message }]);
});

test('a form of 128 fields is served; 129 get 400', async () => {
  const form = (count: number) => [PASSWORD_FORM, ...Array.from({ length: count - 6 }, (_, i) => `x${i}=1`)].join('&');
  assert.equal(form(128).split('&').length, 128);
  assert.equal((await postForm(form(128))).status, 200);
  const past = await postForm(form(129));
  const message = 'the body has more than 128 fields';
  assert.deepEqual([past.status, past.body], [400, { error: 'invalid_request', error_description: message, details: message }]);
});

test('request line and headers of exactly http.max_header_size bytes are served; a header value alone one byte over gets 431', async () => {
  const request = (length: number) => {
    const start = `GET /auth?service=registry&scope=repository:a:pull HTTP/1.1\r\nHost: x\r\n${AUTH}Connection: close\r\nX-Big: `;
    return `${start}${'a'.repeat(length - start.length - 4)}\r\n\r\n`;
  };
  assert.equal(request(4096).length, 4096);
  assert.match((await raw(request(4096))).text, /^HTTP\/1\.1 200 OK\r\n/u);
  // Node counts names and values, not the ": " and CRLF around them: a
  // value of 4097 bytes is over the limit however it is counted.
  const past = await raw(`GET /auth?service=registry HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4097)}\r\n\r\n`);
  assert.match(past.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/u);
  assert.deepEqual(jsonBody(past.text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request headers are too large' }] });
});
