/**
 * `serve` with two worker processes: /metrics shows the sum over both
 * workers whichever worker answers the scrape, and with metrics.addr the
 * primary itself serves that sum.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { serve } from '../helpers/cli.js';
import { freePort, waitFor } from '../helpers/net.js';
import { series } from '../helpers/prometheus.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-metrics-workers-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function configWith(name: string, metrics: Record<string, unknown> | undefined): Promise<string> {
  const folder = path.join(dir, name, 'config');
  await mkdir(folder, { recursive: true });
  const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as Record<string, any>;
  document.http.addr = '127.0.0.1:0';
  document.http.workers = 2;
  if (metrics) document.metrics = metrics;
  const file = path.join(folder, 'default.yml');
  await writeFile(file, yaml.dump(document));
  return file;
}

/** One request on a connection of its own, so that either worker may take it. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const lines = (output: string): Array<Record<string, unknown>> =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function issueTokens(url: string, output: () => string, count: number): Promise<void> {
  const password = /the password:\n\n {4}(\S+)\n/u.exec(output())?.[1];
  assert.ok(password, output());
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  for (let i = 0; i < count; i += 1) {
    assert.equal((await get(`${url}/auth?service=registry&scope=repository:demo/app:pull`, { Authorization: authorization })).status, 200);
  }
  assert.equal((await get(`${url}/auth?service=registry`, { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` })).status, 401);
  // Both workers took some: the sum below is not one worker's count.
  await waitFor('access log lines', async () => lines(output()).filter((line) => line.message === 'request').length >= count + 1, 5_000);
  const pids = new Set(
    lines(output())
      .filter((line) => line.message === 'request')
      .map((line) => line.pid),
  );
  assert.equal(pids.size, 2, 'requests answered by both workers');
}

test('two workers: /metrics on the main port sums both, whichever worker answers', async () => {
  const { daemon, url } = await serve(await configWith('main', undefined));
  try {
    await issueTokens(url, () => daemon.output(), 10);
    for (let scrape = 0; scrape < 4; scrape += 1) {
      const answer = await get(`${url}/metrics`);
      assert.equal(answer.status, 200);
      assert.deepEqual(series(answer.body, 'vra_tokens_issued_total'), { '{service="registry",grant="password",partial="false"}': 10 }, `scrape ${scrape}`);
      assert.deepEqual(series(answer.body, 'vra_tokens_denied_total'), { '{service="registry",reason="UNAUTHORIZED"}': 1 });
      // One key, reported alike by both workers: not doubled.
      assert.deepEqual(Object.values(series(answer.body, 'vra_signing_key_info')), [1]);
    }
  } finally {
    await daemon.stop();
  }
});

test('two workers with metrics.addr: the primary listens there and serves the sum; the main port has no /metrics', async () => {
  const port = await freePort();
  const { daemon, url } = await serve(await configWith('addr', { addr: `127.0.0.1:${port}` }));
  try {
    await issueTokens(url, () => daemon.output(), 6);
    const answer = await get(`http://127.0.0.1:${port}/metrics`);
    assert.equal(answer.status, 200);
    assert.deepEqual(series(answer.body, 'vra_tokens_issued_total'), { '{service="registry",grant="password",partial="false"}': 6 });
    const counts = series(answer.body, 'vra_http_request_duration_seconds_count');
    assert.equal(counts['{route="/auth",method="GET",status="2xx"}'], 6);
    const main = await get(`${url}/metrics`);
    assert.deepEqual([main.status, JSON.parse(main.body)], [404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] }]);
  } finally {
    await daemon.stop();
  }
});
