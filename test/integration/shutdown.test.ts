/**
 * SIGTERM on `serve` (the real CLI, file store), with one process and with
 * two workers: a request in flight is answered and the process exits 0; a
 * request that outlives http.shutdown_timeout has its connection cut and
 * the exit code is 1. The request is held in flight deterministically: its
 * body is sent only after the server has taken it (`Expect: 100-continue`:
 * the server answers 100 when its request handler starts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { serve } from '../helpers/cli.js';
import { claimsOf } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

type Outcome = { readonly status: number; readonly body: any } | { readonly error: string };

/** A token POST whose body waits for `send`; `taken` resolves when the server's handler has the request. */
function heldPost(url: string, form: string): { taken: Promise<void>; send(): void; outcome: Promise<Outcome> } {
  const request = http.request(`${url}/auth`, {
    method: 'POST',
    agent: false,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form), Expect: '100-continue' },
  });
  const taken = new Promise<void>((resolve) => request.once('continue', () => resolve()));
  const outcome = new Promise<Outcome>((resolve) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
  request.flushHeaders();
  return { taken, send: () => request.end(form), outcome };
}

async function startServe(workers: number, shutdownTimeout?: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-shutdown-'));
  await mkdir(path.join(dir, 'config'));
  const configFile = path.join(dir, 'config', 'default.yml');
  const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as { http: Record<string, unknown> };
  document.http.addr = '127.0.0.1:0';
  document.http.workers = workers;
  // Long enough that only http.shutdown_timeout can end the held request.
  document.http.timeout = '60s';
  if (shutdownTimeout) document.http.shutdown_timeout = shutdownTimeout;
  await writeFile(configFile, yaml.dump(document));
  const running = await serve(configFile);
  const password = /the password:\n\n {4}(\S+)\n/u.exec(running.daemon.output())?.[1] as string;
  assert.ok(password, running.daemon.output());
  const exited = new Promise<number | null>((resolve) => running.daemon.child.once('exit', (code) => resolve(code)));
  return { ...running, dir, password, exited };
}

/** The exit code, or 'still running' after `ms` (far beyond every bound under test). */
function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref())]);
}

for (const workers of [1, 2]) {
  test(`http.workers: ${workers}: SIGTERM lets a request in flight finish with 200, then exits 0`, async () => {
    const { daemon, url, dir, password, exited } = await startServe(workers);
    try {
      const form = new URLSearchParams({ grant_type: 'password', client_id: 'test', username: 'admin', password, service: 'registry' }).toString();
      const held = heldPost(url, form);
      await held.taken;
      daemon.child.kill('SIGTERM');
      // Still running: it waits for the request (whose body has not even come yet).
      assert.equal(await exitWithin(exited, 1_000), 'still running', daemon.output());
      held.send();
      const outcome = await held.outcome;
      assert.ok('status' in outcome, JSON.stringify(outcome));
      assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
      assert.equal(claimsOf(outcome.body.access_token).sub, 'admin');
      assert.equal(await exitWithin(exited, 15_000), 0, daemon.output());
      assert.equal(daemon.output().includes('requests still in flight after http.shutdown_timeout'), false);
    } finally {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`http.workers: ${workers}: a request that outlives http.shutdown_timeout is cut, exit code 1`, async () => {
    const { daemon, url, dir, password, exited } = await startServe(workers, '1s');
    try {
      const form = new URLSearchParams({ grant_type: 'password', client_id: 'test', username: 'admin', password, service: 'registry' }).toString();
      const held = heldPost(url, form);
      await held.taken;
      daemon.child.kill('SIGTERM');
      // Well before http.timeout (60 s): only the shutdown timeout ends it.
      assert.equal(await exitWithin(exited, 20_000), 1, daemon.output());
      const outcome = await held.outcome;
      assert.ok('error' in outcome, JSON.stringify(outcome));
      const cut = daemon
        .output()
        .split('\n')
        .filter((line) => line.includes('requests still in flight after http.shutdown_timeout'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(cut.length, 1, daemon.output());
      assert.equal(cut[0]?.message, 'requests still in flight after http.shutdown_timeout: cutting their connections');
      assert.equal(cut[0]?.connections, 1);
      assert.equal(cut[0]?.shutdown_timeout_ms, 1000);
    } finally {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
