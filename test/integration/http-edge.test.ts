/**
 * The request edge, as a hostile-input run found it: bounded query strings,
 * every method answered in JSON, slow clients cut at the configured timeout.
 * On the embedded file store: no peer needed.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

let server: TestServer;
let port: number;

before(async () => {
  server = await startTestServer({ storage: { file: { path: 'users.yml' } }, http: { timeout: '1s' } });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump({ registry: { foo: { password: 'bar-Secret-1', access: 'repository:a:pull' } } }));
  port = Number(new URL(server.url).port);
});
after(() => server.close());

/** Sends `request` as raw bytes (more may follow every `dripMs`); resolves with all the server answered and when it closed. */
function raw(request: string, drip?: { text: string; everyMs: number }): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(request);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip.text), drip.everyMs);
    });
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

const jsonBody = (text: string): unknown => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

const TOO_LONG = { errors: [{ code: 'URI_TOO_LONG', message: 'the query string is longer than 8192 characters' }] };

test('the reported 16 KB URL of 7,900 empty parameters: 414 before anything parses it', async () => {
  const { status, body } = await getToken(server, `service=registry&${'a&'.repeat(7900)}`, ['foo', 'bar-Secret-1']);
  assert.deepEqual([status, body], [414, TOO_LONG]);
});

test('a query string over 8 KiB: 414 in JSON', async () => {
  const { status, body } = await getToken(server, `service=registry&scope=${'a'.repeat(9000)}`, ['foo', 'bar-Secret-1']);
  assert.deepEqual([status, body], [414, TOO_LONG]);
});

test('more than 128 parameters within 8 KiB: 400 in JSON', async () => {
  const { status, body } = await getToken(server, `service=registry&${'a&'.repeat(4000)}`, ['foo', 'bar-Secret-1']);
  assert.deepEqual([status, body], [400, { errors: [{ code: 'INVALID_REQUEST', message: 'the query string has more than 128 parameters' }] }]);
});

test('128 parameters are still fine', async () => {
  const query = ['service=registry', ...Array.from({ length: 60 }, () => 'scope=repository:a:pull'), ...Array.from({ length: 67 }, (_, i) => `x${i}=1`)].join(
    '&',
  );
  const { status } = await getToken(server, query, ['foo', 'bar-Secret-1']);
  assert.equal(status, 200);
});

test('methods the router does not know: 405 with Allow and the JSON body, never a plain 501', async () => {
  for (const method of ['TRACE', 'PROPFIND', 'QUERY', 'PATCH', 'DELETE']) {
    const { text } = await raw(`${method} /auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/u, method);
    assert.match(text, /\r\nAllow: HEAD, GET, POST\r\n/u, method);
    assert.deepEqual(jsonBody(text), { errors: [{ code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here` }] });
  }
});

test("a method Node's parser does not know, or a broken request line: 400 in JSON", async () => {
  for (const line of ['FOO /auth HTTP/1.1', 'GET /auth HTTP/9.9', 'GET']) {
    const { text } = await raw(`${line}\r\nHost: x\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/u, line);
    assert.deepEqual(jsonBody(text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request is not valid HTTP' }] });
  }
});

test('a client sending its headers slowly is cut at http.timeout (1 s here), not 30 s later', async () => {
  const { text, closedAfterMs } = await raw('GET /auth HTTP/1.1\r\nHost: x\r\n', { text: 'X-Slow: 1\r\n', everyMs: 200 });
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/u);
  assert.deepEqual(jsonBody(text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request was not received in time' }] });
  assert.ok(closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
});
