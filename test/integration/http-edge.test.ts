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

test('a query string of exactly 8192 characters is served; 8193 get 414', async () => {
  const base = 'service=registry&scope=repository:a:pull&pad=';
  const query = (length: number) => `${base}${'a'.repeat(length - base.length)}`;
  assert.equal(query(8192).length, 8192);
  assert.equal((await getToken(server, query(8192), ['foo', 'bar-Secret-1'])).status, 200);
  const { status, body } = await getToken(server, query(8193), ['foo', 'bar-Secret-1']);
  assert.deepEqual([status, body], [414, TOO_LONG]);
});

test('129 parameters, one past the limit: 400 in JSON', async () => {
  const query = ['service=registry', ...Array.from({ length: 128 }, (_, i) => `x${i}=1`)].join('&');
  const { status, body } = await getToken(server, query, ['foo', 'bar-Secret-1']);
  assert.deepEqual([status, body], [400, { errors: [{ code: 'INVALID_REQUEST', message: 'the query string has more than 128 parameters' }] }]);
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

// --- found by the HTTP fuzz suite (test/integration/fuzz-http.test.ts) ---

const FOO = `Authorization: Basic ${Buffer.from('foo:bar-Secret-1').toString('base64')}`;
const FORM = 'grant_type=password&client_id=x&service=registry&username=foo&password=bar-Secret-1';
const post = (target: string, headers: string[]): string =>
  `POST ${target} HTTP/1.1\r\n${[...headers, 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${FORM.length}`, 'Connection: close'].join('\r\n')}\r\n\r\n${FORM}`;
const oauth = (description: string) => ({ error: 'invalid_request', error_description: description, details: description });

test('CONNECT: 405 in JSON with Allow, where Node cut the connection without a word', async () => {
  const { text } = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/u);
  assert.match(text, /\r\nAllow: HEAD, GET, POST\r\n/u);
  assert.deepEqual(jsonBody(text), { errors: [{ code: 'METHOD_NOT_ALLOWED', message: 'CONNECT is not allowed here' }] });
});

test('an Expect other than 100-continue: 417 in the JSON of its endpoint, where Node answered an empty 417; 100-continue is served', async () => {
  const get = await raw(`GET /auth?service=registry HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n${FOO}\r\nConnection: close\r\n\r\n`);
  assert.match(get.text, /^HTTP\/1\.1 417 Expectation Failed\r\n/u);
  assert.deepEqual(jsonBody(get.text), { errors: [{ code: 'EXPECTATION_FAILED', message: 'the only expectation served is 100-continue' }] });
  const postFoo = await raw(post('/auth', ['Host: x', 'Expect: foo']));
  assert.match(postFoo.text, /^HTTP\/1\.1 417 Expectation Failed\r\n/u);
  assert.deepEqual(jsonBody(postFoo.text), oauth('the only expectation served is 100-continue'));
  const postContinue = await raw(post('/auth', ['Host: x', 'Expect: 100-continue']));
  assert.match(postContinue.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/u);
});

test('an HTTP/1.1 request without Host, or with two: 400 in the JSON of its endpoint, where Node answered an empty 400 (or kept the first Host)', async () => {
  const none = await raw(`GET /auth?service=registry HTTP/1.1\r\n${FOO}\r\nConnection: close\r\n\r\n`);
  assert.match(none.text, /^HTTP\/1\.1 400 Bad Request\r\n/u);
  assert.deepEqual(jsonBody(none.text), { errors: [{ code: 'INVALID_REQUEST', message: 'an HTTP/1.1 request needs a Host header' }] });
  const two = await raw(`GET /auth?service=registry HTTP/1.1\r\nHost: a\r\nHost: b\r\n${FOO}\r\nConnection: close\r\n\r\n`);
  assert.match(two.text, /^HTTP\/1\.1 400 Bad Request\r\n/u);
  assert.deepEqual(jsonBody(two.text), { errors: [{ code: 'INVALID_REQUEST', message: 'the Host header must be given once' }] });
  const postNone = await raw(post('/auth', []));
  assert.deepEqual(jsonBody(postNone.text), oauth('an HTTP/1.1 request needs a Host header'));
  // HTTP/1.0 has no Host to require.
  const old = await raw(`GET /auth?service=registry HTTP/1.0\r\n${FOO}\r\n\r\n`);
  assert.match(old.text, /^HTTP\/1\.1 200 OK\r\n/u);
});

test("a POST of the realm refused before its endpoint runs (the query's bounds) answers in OAuth2's shape, as the endpoint does", async () => {
  const long = await raw(post(`/auth?${'a'.repeat(9000)}`, ['Host: x']));
  assert.match(long.text, /^HTTP\/1\.1 414 URI Too Long\r\n/u);
  assert.deepEqual(jsonBody(long.text), oauth('the query string is longer than 8192 characters'));
  // The router's own matching: no case, a trailing slash.
  const many = await raw(post(`/AUTH/token/?${'a&'.repeat(200)}`, ['Host: x']));
  assert.match(many.text, /^HTTP\/1\.1 400 Bad Request\r\n/u);
  assert.deepEqual(jsonBody(many.text), oauth('the query string has more than 128 parameters'));
  // Elsewhere, Docker's shape.
  const health = await raw(`POST /healthz?${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.deepEqual(jsonBody(health.text), TOO_LONG);
});

test('a client gone silent mid-request, in its headers or its body, gets its 408, where the idle timeout (equal to http.timeout) cut it without a word', async () => {
  for (const request of [
    'GET /auth HTTP/1.1\r\nHost: x\r\n',
    `POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nabc`,
  ]) {
    const { text } = await raw(request);
    assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/u, request);
    assert.deepEqual(jsonBody(text), { errors: [{ code: 'INVALID_REQUEST', message: 'the request was not received in time' }] });
  }
});
