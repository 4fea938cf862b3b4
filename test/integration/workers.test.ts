/**
 * `serve` with `http.workers: 2` on the embedded default: the primary makes
 * the key and the first user once, two worker processes answer on the one
 * port, a killed worker is replaced, and SIGTERM stops everything.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { CLI, serve } from '../helpers/cli.js';
import { run } from '../helpers/process.js';
import { waitFor } from '../helpers/net.js';
import { tokenStatus } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let dir: string;
let configFile: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-workers-'));
  await mkdir(path.join(dir, 'config'));
  configFile = path.join(dir, 'config', 'default.yml');
  const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as { http: Record<string, unknown> };
  document.http.addr = '127.0.0.1:0';
  document.http.workers = 2;
  await writeFile(configFile, yaml.dump(document));
});
after(() => rm(dir, { recursive: true, force: true }));

function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('two workers: one bootstrap, tokens from both, a killed worker replaced, SIGTERM exits 0', async () => {
  const running = await serve(configFile);
  const { daemon, url } = running;
  try {
    const output = daemon.output();
    const shown = output.match(/It is shown only this once/gu) ?? [];
    assert.equal(shown.length, 1, output);
    const password = /the password:\n\n {4}(\S+)\n/u.exec(output)?.[1];
    assert.ok(password, output);

    // Each process writes its log lines in batches (at most 25 ms late when quiet): wait for both workers' ready lines.
    await waitFor('both workers’ ready lines', async () => logLines(daemon.output()).filter((line) => line.message === 'worker listening').length === 2, 5_000);
    const listening = logLines(output).filter((line) => line.message === 'listening');
    assert.equal(listening.length, 1, 'one listening line');
    assert.equal(listening[0]?.workers, 2);
    const workerPids = listening[0]?.worker_pids as number[];
    assert.equal(new Set(workerPids).size, 2);
    assert.equal(workerPids.includes(daemon.child.pid as number), false);
    assert.equal(logLines(daemon.output()).filter((line) => line.message === 'worker listening').length, 2);

    for (let i = 0; i < 10; i += 1) assert.equal(await tokenStatus(url, ['admin', password]), 200);
    assert.equal(await tokenStatus(url, ['admin', 'wrong']), 401);
    await waitFor('access log lines', async () => logLines(daemon.output()).filter((line) => line.message === 'request').length >= 11, 5_000);
    const answeredBy = new Set(
      logLines(daemon.output())
        .filter((line) => line.message === 'request')
        .map((line) => line.pid),
    );
    assert.deepEqual([...answeredBy].sort(), [...workerPids].sort(), 'requests answered by both workers');

    // A worker killed outright: another takes its place, and the service goes on.
    const [victim, survivor] = workerPids as [number, number];
    process.kill(victim, 'SIGKILL');
    let replacement = 0;
    await waitFor(
      'a replacement worker',
      async () => {
        const line = logLines(daemon.output()).find((l) => l.message === 'worker listening' && l.pid !== victim && l.pid !== survivor);
        replacement = (line?.pid as number | undefined) ?? 0;
        return replacement !== 0;
      },
      10_000,
    );
    assert.ok(logLines(daemon.output()).some((line) => line.message === 'a worker died: starting another' && line.worker_pid === victim));
    for (let i = 0; i < 6; i += 1) assert.equal(await tokenStatus(url, ['admin', password]), 200);
    assert.equal(daemon.output().match(/It is shown only this once/gu)?.length, 1, 'the password is still shown only once');

    // SIGTERM on the primary: every process gone, exit code 0, within 5 s.
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => daemon.child.once('exit', (code) => resolve(code)));
    daemon.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000))]);
    assert.equal(code, 0, daemon.output());
    assert.ok(Date.now() - started < 5_000);
    for (const pid of [survivor, replacement]) {
      await waitFor(`worker ${pid} gone`, async () => !isAlive(pid), 2_000);
    }
  } finally {
    await daemon.stop();
  }
});

test('a worker that cannot start: exit code 2 with the message, no restart loop', async () => {
  // The port is taken: every worker fails to listen.
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as { port: number };
  const config = path.join(dir, 'config', 'busy.yml');
  const document = yaml.load(await readFile(configFile, 'utf8')) as { http: Record<string, unknown> };
  document.http.addr = `127.0.0.1:${port}`;
  await writeFile(config, yaml.dump(document));
  try {
    const started = Date.now();
    const result = await run(process.execPath, [CLI, 'serve', '--config', config], { timeoutMs: 20_000 });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`http\\.addr: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`, 'u'));
    assert.equal(result.stdout.includes('a worker died'), false);
    assert.ok(Date.now() - started < 15_000);
  } finally {
    blocker.close();
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
