/**
 * The throttle's counters are shared: by the worker processes of one server
 * (in the primary), and by replicas through Redis (a real redis-server on
 * loopback). Redis stopped: requests are still answered, the outage is
 * logged once, and its end once.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { serve } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { RedisServer } from '../helpers/redis-server.js';
import { basic, startTestServer, type TestServer } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PASSWORD = 'right-Secret-1';
const USERS = { registry: Object.fromEntries(['alice', 'bob', 'carol'].map((name) => [name, { password: PASSWORD, access: 'repository:team/app:pull' }])) };
const THROTTLE = { failures: { pair: 3, client: 50, account: 50 }, window: '1m', block: '30s', max_block: '1m' };

/** One GET on a connection of its own (so that the kernel may hand it to any worker); the status. */
function status(url: string, account: string, password: string, from?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/auth?service=registry&scope=repository:team/app:pull`,
      { agent: false, headers: { Authorization: basic(account, password), ...(from ? { 'X-Forwarded-For': from } : {}) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
}

test('two workers share the counters: 3 failures over new connections block the pair in every worker', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-throttle-workers-'));
  try {
    await mkdir(path.join(dir, 'config'));
    const configFile = path.join(dir, 'config', 'default.yml');
    const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as Record<string, any>;
    document.http.addr = '127.0.0.1:0';
    document.http.workers = 2;
    document.throttle = THROTTLE;
    await writeFile(configFile, yaml.dump(document));
    const { daemon, url } = await serve(configFile);
    try {
      const password = /the password:\n\n {4}(\S+)\n/u.exec(daemon.output())?.[1];
      assert.ok(password, daemon.output());
      for (let i = 0; i < 3; i += 1) assert.equal(await status(url, 'admin', 'wrong'), 401, `failure ${i + 1}`);
      // Counted per worker, two workers would allow 6 failures: every one of these would then be a 401 or two.
      for (let i = 0; i < 6; i += 1) assert.equal(await status(url, 'admin', 'wrong'), 429, `attempt ${i + 4}`);
      assert.equal(await status(url, 'admin', password), 429);
      // Log lines are written in batches (at most 25 ms late when quiet): wait for both workers' lines.
      const answeredBy = (): Set<number | undefined> =>
        new Set(
          daemon
            .output()
            .split('\n')
            .filter((line) => line.startsWith('{') && line.includes('"message":"request"'))
            .map((line) => (JSON.parse(line) as { pid?: number }).pid),
        );
      await waitFor('both workers answered', async () => answeredBy().size === 2, 5_000).catch(() => undefined);
      assert.equal(answeredBy().size, 2, 'both workers answered');
    } finally {
      await daemon.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const peers = requirePeers('redis-server');
let redis: RedisServer;
let first: TestServer;
let second: TestServer;
before(async () => {
  if (peers.skip) return;
  redis = await RedisServer.start(peers.paths['redis-server']);
  const document = {
    storage: { file: { path: 'users.yml' } },
    services: [{ name: 'registry' }],
    http: { trusted_proxies: ['127.0.0.1'] },
    throttle: { ...THROTTLE, redis: { url: redis.url } },
  };
  first = await startTestServer(document);
  second = await startTestServer(document);
  for (const server of [first, second]) await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
});
after(async () => {
  await first?.close();
  await second?.close();
  await redis?.stop();
});

test('two replicas share the counters through Redis', { skip: peers.skip }, async () => {
  for (let i = 0; i < 3; i += 1) assert.equal(await status(first.url, 'alice', 'wrong', '198.51.100.20'), 401);
  assert.equal(await status(second.url, 'alice', PASSWORD, '198.51.100.20'), 429);
  assert.equal(await status(first.url, 'alice', PASSWORD, '198.51.100.20'), 429);
  assert.equal(await status(second.url, 'alice', PASSWORD, '198.51.100.21'), 200);
});

test('Redis stopped: still answered (200 for good passwords), failures counted locally; the outage logged once', { skip: peers.skip }, async () => {
  await redis.stop();
  const lost = "the throttle's Redis is unreachable";
  await waitFor('the outage logged', async () => first.logs().includes(lost), 10_000);
  for (let i = 0; i < 3; i += 1) assert.equal(await status(first.url, 'bob', PASSWORD, '198.51.100.30'), 200);
  // The insurance counts in memory meanwhile: guessing is still throttled.
  for (let i = 0; i < 3; i += 1) assert.equal(await status(first.url, 'carol', 'wrong', '198.51.100.31'), 401);
  assert.equal(await status(first.url, 'carol', PASSWORD, '198.51.100.31'), 429);
  assert.equal(first.logs().split(lost).length - 1, 1, 'one line per outage');
  assert.equal(first.logs().includes('redis://'), false);

  await redis.restart();
  await waitFor('Redis back logged', async () => first.logs().includes("the throttle's Redis is back"), 10_000);
  assert.equal(await status(first.url, 'bob', PASSWORD, '198.51.100.30'), 200);
});
