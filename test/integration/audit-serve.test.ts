/**
 * The audit log of `serve` with two worker processes, as an operator runs
 * it: by default on stderr, apart from the log on stdout; or in one file
 * (relative to the config file) that both workers append to, each line
 * whole, everything written by the time SIGTERM has stopped the server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { serve } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';
import { tokenStatus } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-audit-serve-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The embedded default with two workers, in a folder of its own. */
async function configWith(name: string, extra: Record<string, unknown>): Promise<string> {
  await mkdir(path.join(dir, name, 'config'), { recursive: true });
  const file = path.join(dir, name, 'config', 'default.yml');
  const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as { http: Record<string, unknown> };
  document.http.addr = '127.0.0.1:0';
  document.http.workers = 2;
  await writeFile(file, yaml.dump({ ...document, ...extra }));
  return file;
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** 10 grants and one refusal, spread over the workers (a connection each). */
async function someRequests(url: string, password: string): Promise<void> {
  for (let i = 0; i < 10; i += 1) assert.equal(await tokenStatus(url, ['admin', password]), 200);
  assert.equal(await tokenStatus(url, ['admin', 'wrong-Password']), 401);
}

const passwordIn = (output: string): string => /the password:\n\n {4}(\S+)\n/u.exec(output)?.[1] ?? assert.fail(output);

test('by default the audit log is on stderr, the log on stdout', async () => {
  const { daemon, url } = await serve(await configWith('stderr', {}));
  let stdout = '';
  let stderr = '';
  daemon.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  daemon.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  try {
    await someRequests(url, passwordIn(daemon.output()));
    await waitFor('11 audit lines', async () => jsonLines(stderr).length >= 11, 10_000);
    await waitFor('11 access log lines', async () => jsonLines(stdout).filter((line) => line.message === 'request').length >= 11, 10_000);
    const audit = jsonLines(stderr);
    assert.deepEqual(audit.map((line) => line.outcome).sort(), [...Array.from({ length: 10 }, () => 'granted'), 'denied'].sort());
    assert.equal(
      audit.every((line) => line.service === 'registry' && line.account === 'admin'),
      true,
    );
    assert.equal(
      jsonLines(stdout).some((line) => 'outcome' in line),
      false,
      'no audit line on stdout',
    );
  } finally {
    await daemon.stop();
  }
});

test('audit.output as a file relative to the config: both workers append whole lines; all are there after SIGTERM', async () => {
  const { daemon, url } = await serve(await configWith('file', { audit: { output: '../logs/audit.log' } }));
  try {
    await someRequests(url, passwordIn(daemon.output()));
  } finally {
    await daemon.stop();
  }
  const text = await readFile(path.join(dir, 'file', 'logs', 'audit.log'), 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.length, 11, text);
  const outcomes = lines.map((line) => (JSON.parse(line) as { outcome: string }).outcome);
  assert.deepEqual(outcomes.filter((outcome) => outcome === 'granted').length, 10);
  assert.deepEqual(outcomes.filter((outcome) => outcome === 'denied').length, 1);
  assert.doesNotMatch(text, /wrong-Password/u);
});
