/**
 * The server's limits and timeouts (`http.timeout`, `http.header_timeout`,
 * `http.keep_alive_timeout`, `http.max_header_size`, the 16 KiB form body),
 * each answered with its exact status and JSON body, and unknown paths with
 * a JSON 404. Raw sockets where a client library would hide the answer. On
 * the embedded file store: no peer needed.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { basic, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

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
