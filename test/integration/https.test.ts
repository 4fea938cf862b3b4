/**
 * Serving HTTPS (`http.tls`): a token over HTTPS, the lowest TLS version
 * (`http.tls.min_version`), and the certificate and key read again when
 * their files change, without a restart; a broken replacement is refused
 * with one log line and the previous pair keeps being served. Certificates
 * from a throwaway CA (test/helpers/test-ca.ts); no peer needed.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import yaml from 'js-yaml';
import { basic, claimsOf, startTestServer, type TestServer } from '../helpers/token-server.js';
import { type Issued, makeCa, type TestCa } from '../helpers/test-ca.js';

const USERS = { registry: { foo: { password: 'bar-Secret-1', access: 'repository:a:pull' } } };

let ca: TestCa;
let dir: string;
before(async () => {
  ca = await makeCa();
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-https-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Writes a pair under `name` in the test's folder; returns the paths. */
async function writePair(name: string, pair: Issued): Promise<{ certificate: string; key: string }> {
  const files = { certificate: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  await writeFile(files.key, pair.keyPem, { mode: 0o600 });
  await writeFile(files.certificate, pair.certificatePem);
  return files;
}

async function startHttps(files: { certificate: string; key: string }, extra: Record<string, unknown> = {}): Promise<TestServer> {
  const server = await startTestServer({ storage: { file: { path: 'users.yml' } }, http: { tls: { ...files, ...extra } } });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
  return server;
}

const portOf = (server: TestServer): number => Number(new URL(server.url).port);

/** A new TLS connection (never a reused one): the protocol and the serial of the certificate served, or the error code. */
function handshake(server: TestServer, version?: tls.SecureVersion): Promise<{ protocol: string | null; serial: string } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: portOf(server),
      ca: ca.certificatePem,
      servername: 'localhost',
      ...(version ? { minVersion: version, maxVersion: version } : {}),
      // Lets this client offer TLS 1.1 at all: the refusal must be the server's.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol(), serial: socket.getPeerCertificate().serialNumber });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

const serialOf = (pair: Issued): string => new X509Certificate(pair.certificatePem).serialNumber;

/** Waits until `check` holds (the files are polled every second); fails after 20 s. */
async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`never happened: ${what}`);
}

const logLines = (server: TestServer): Record<string, unknown>[] =>
  server
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('HTTPS with the default minimum (TLS 1.2)', () => {
  let first: Issued;
  let server: TestServer;
  let files: { certificate: string; key: string };
  before(async () => {
    first = await ca.server();
    files = await writePair('server', first);
    server = await startHttps(files);
  });
  after(() => server.close());

  test('a token request over HTTPS', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/u);
    const { status, body } = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const request = https.get(
        `${server.url}/auth?service=registry&scope=repository:a:pull`,
        { ca: ca.certificatePem, servername: 'localhost', headers: { Authorization: basic('foo', 'bar-Secret-1') }, agent: false },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      request.on('error', reject);
    });
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, [{ type: 'repository', name: 'a', actions: ['pull'] }]);
  });

  test('TLS 1.2 and 1.3 clients are served; a TLS 1.1-only client is refused by the server (a protocol_version alert)', async () => {
    assert.deepEqual(await handshake(server, 'TLSv1.2'), { protocol: 'TLSv1.2', serial: serialOf(first) });
    assert.deepEqual(await handshake(server, 'TLSv1.3'), { protocol: 'TLSv1.3', serial: serialOf(first) });
    assert.deepEqual(await handshake(server, 'TLSv1.1'), { error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  });

  test('new files are served on the next connection, without a restart; a broken replacement keeps the previous pair', async () => {
    const second = await ca.server();
    await writePair('server', second);
    await eventually('the new certificate is served', async () => {
      const result = await handshake(server);
      return 'serial' in result && result.serial === serialOf(second);
    });
    const served = logLines(server).filter((line) => line.message === 'http.tls: serving the new certificate');
    assert.deepEqual(
      served.map(({ level, certificate, serial }) => ({ level, certificate, serial })),
      [{ level: 'info', certificate: files.certificate, serial: serialOf(second) }],
    );

    // Not a certificate at all.
    await writeFile(files.certificate, 'not a certificate\n');
    const refused = (): Record<string, unknown>[] =>
      logLines(server).filter((line) => line.message === 'http.tls: the new certificate and key are refused; the previous ones are still served');
    await eventually('the broken certificate is refused', () => refused().length === 1);
    assert.deepEqual(refused()[0], {
      level: 'error',
      message: 'http.tls: the new certificate and key are refused; the previous ones are still served',
      certificate: files.certificate,
      key: files.key,
      reason: `${files.certificate} is not a PEM certificate`,
      serial: serialOf(second),
    });
    assert.deepEqual(await handshake(server), { protocol: 'TLSv1.3', serial: serialOf(second) });

    // A certificate whose key is another one's.
    const third = await ca.server();
    await writeFile(files.certificate, third.certificatePem);
    await eventually('the mismatched pair is refused', () => refused().length === 2);
    assert.equal(refused()[1]?.reason, `${files.key} is not the key of the certificate in ${files.certificate}`);
    assert.deepEqual(await handshake(server), { protocol: 'TLSv1.3', serial: serialOf(second) });

    // Its key arrives: served.
    await writeFile(files.key, third.keyPem);
    await eventually('the completed pair is served', async () => {
      const result = await handshake(server);
      return 'serial' in result && result.serial === serialOf(third);
    });
  });
});

describe('HTTPS with min_version TLSv1.3', () => {
  let server: TestServer;
  let pair: Issued;
  before(async () => {
    pair = await ca.server();
    server = await startHttps(await writePair('strict', pair), { min_version: 'TLSv1.3' });
  });
  after(() => server.close());

  test('a TLS 1.2-only client is refused; TLS 1.3 is served', async () => {
    assert.deepEqual(await handshake(server, 'TLSv1.2'), { error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    assert.deepEqual(await handshake(server, 'TLSv1.3'), { protocol: 'TLSv1.3', serial: serialOf(pair) });
  });
});

test('a start with a key that is not the certificate’s fails, naming both files', async () => {
  const one = await writePair('one', await ca.server());
  const other = await writePair('other', await ca.server());
  await assert.rejects(startHttps({ certificate: one.certificate, key: other.key }), {
    name: 'StartupError',
    message: `http.tls.certificate and http.tls.key (${one.certificate}, ${other.key}): ${other.key} is not the key of the certificate in ${one.certificate}`,
  });
});
