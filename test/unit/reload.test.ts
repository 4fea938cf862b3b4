/**
 * The pieces of reload and shutdown (src/reload/): http.shutdown_timeout,
 * which settings a reload keeps, the request count of an app, the bounded
 * drain of a server, and the file watch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { trackInFlight } from '../../src/reload/in-flight.js';
import { keepRestartOnly, watchedFiles, withoutKeyGeneration } from '../../src/reload/restart-only.js';
import { drainServer } from '../../src/reload/shutdown.js';
import { watchFiles } from '../../src/reload/watch.js';
import { configProblems } from '../helpers/config-problems.js';

const minimal = {
  storage: { file: { path: 'users.yml' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem', published: ['old.pem'] },
};
const config = (http: Record<string, unknown> = {}, token: Record<string, unknown> = {}) =>
  parseConfig({ ...minimal, http: { addr: '127.0.0.1:5002', workers: 2, ...http }, token: { ...minimal.token, ...token } }, '/etc/vra', {});

test('http.shutdown_timeout: 10 s by default, a duration, anything else refused naming the key', () => {
  assert.equal(parseConfig(minimal, '/etc/vra', {}).http.shutdownTimeoutMs, 10_000);
  assert.equal(config({ shutdown_timeout: '30s' }).http.shutdownTimeoutMs, 30_000);
  assert.equal(config({ shutdown_timeout: '1m30s' }).http.shutdownTimeoutMs, 90_000);
  assert.deepEqual(configProblems({ ...minimal, http: { shutdown_timeout: 'soon' } }), [
    'http.shutdown_timeout must be a positive duration such as 5s, 1m30s or 800ms',
  ]);
});

test('a reload keeps the server settings (addr, workers, tls, timeouts, limits), log and metrics, naming those that changed', () => {
  const running = config();
  const same = keepRestartOnly(running, config({}, { expiration: 900 }));
  assert.deepEqual(same.kept, []);
  assert.equal(same.config.token.expirationSeconds, 900);

  const next = parseConfig(
    {
      ...minimal,
      log: { level: 'debug' },
      metrics: { enabled: false },
      http: {
        addr: ':6000',
        workers: 4,
        timeout: '9s',
        tls: { certificate: 's.pem', key: 's.key' },
        shutdown_timeout: '3s',
        realm: '/token',
        trusted_proxies: ['loopback'],
      },
      token: { ...minimal.token, expiration: 900 },
    },
    '/etc/vra',
    {},
  );
  const { config: applied, kept } = keepRestartOnly(running, next);
  assert.deepEqual(kept, ['http.addr', 'http.header_timeout', 'http.timeout', 'http.tls', 'http.workers', 'log', 'metrics']);
  assert.deepEqual(applied.http, { ...running.http, shutdownTimeoutMs: 3_000, realmPaths: ['/token'], trustedProxies: ['loopback'] });
  assert.equal('tls' in applied.http, false);
  assert.equal(applied.workers, 2);
  assert.deepEqual(applied.log, running.log);
  assert.deepEqual(applied.metrics, running.metrics);
  assert.equal(applied.token.expirationSeconds, 900);
});

test('a reload never generates keys; the config file and the key files are watched', () => {
  const generating = config({}, { generate: true });
  assert.deepEqual(withoutKeyGeneration(generating).token.keys, { ...generating.token.keys, generate: false });
  assert.deepEqual(watchedFiles('/etc/vra/config.yml', generating), ['/etc/vra/config.yml', '/etc/vra/k.pem', '/etc/vra/c.pem', '/etc/vra/old.pem']);
});

/** A server whose requests wait until `release` (and say 'done'), counted by trackInFlight. */
async function heldServer() {
  const waiting: Array<() => void> = [];
  const requests = trackInFlight((_request, response) => {
    waiting.push(() => response.end('done'));
  });
  const server = http.createServer({ keepAliveTimeout: 60_000 }, requests.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const agent = new http.Agent({ keepAlive: true });
  const get = (): Promise<{ status: number; connection: string | undefined } | { error: string }> =>
    new Promise((resolve) => {
      http
        .get(url, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
        })
        .on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
  const held = async (count: number): Promise<void> => {
    while (waiting.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return {
    server,
    requests,
    get,
    held,
    release: () => {
      for (const end of waiting.splice(0)) end();
    },
    agent,
  };
}

const logger = createLogger({ level: 'error', silent: true });

test('trackInFlight: counts the requests until their answers, idle resolves when none is left', async () => {
  const { server, requests, get, held, release, agent } = await heldServer();
  try {
    assert.equal(await requests.idle(1_000), 0);
    const answers = [get(), get()];
    await held(2);
    assert.equal(requests.active(), 2);
    assert.equal(await requests.idle(50), 2, 'still two after the wait');
    const idle = requests.idle(30_000);
    release();
    assert.equal(await idle, 0);
    assert.deepEqual(await Promise.all(answers), [
      { status: 200, connection: 'keep-alive' },
      { status: 200, connection: 'keep-alive' },
    ]);
  } finally {
    agent.destroy();
    server.close();
  }
});

test('drainServer: requests in flight are answered with Connection: close, idle keep-alive connections closed, nothing cut', async () => {
  const { server, requests, get, held, release, agent } = await heldServer();
  // An idle keep-alive connection first.
  const idle = get();
  await held(1);
  release();
  assert.deepEqual(await idle, { status: 200, connection: 'keep-alive' });
  const answer = get();
  await held(1);
  const drained = drainServer(server, requests, { timeoutMs: 30_000, logger });
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  assert.deepEqual(await answer, { status: 200, connection: 'close' });
  assert.deepEqual(await drained, { cut: 0 });
  assert.equal(server.listening, false);
  agent.destroy();
});

test('drainServer: after the timeout, the connections left are cut and counted', async () => {
  const { server, requests, get, held, agent } = await heldServer();
  const answers = [get(), get()];
  await held(2);
  assert.deepEqual(await drainServer(server, requests, { timeoutMs: 100, logger }), { cut: 2 });
  assert.deepEqual(await Promise.all(answers), [{ error: 'ECONNRESET' }, { error: 'ECONNRESET' }]);
  agent.destroy();
});

test('watchFiles: a changed file is reported once after a burst; a rewrite with the same contents is not', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-watch-'));
  const file = path.join(dir, 'config.yml');
  const other = path.join(dir, 'other.txt');
  await writeFile(file, 'a: 1\n');
  let changes = 0;
  const watch = await watchFiles(
    [file],
    () => {
      changes += 1;
    },
    { debounceMs: 50 },
  );
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
  try {
    await writeFile(file, 'a: 2\n');
    await writeFile(file, 'a: 3\n');
    await settle();
    assert.equal(changes, 1);
    await writeFile(file, 'a: 3\n');
    await writeFile(other, 'not watched');
    await settle();
    assert.equal(changes, 1);
    await writeFile(file, 'a: 4\n');
    await watch.markSeen();
    await settle();
    assert.equal(changes, 1, 'contents a reload has read count as seen');
  } finally {
    watch.close();
    await rm(dir, { recursive: true, force: true });
  }
});
