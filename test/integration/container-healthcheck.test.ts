/**
 * The Dockerfile's HEALTHCHECK command, run as Docker would run it in the
 * container (node, no shell), against our real server: exit 0 while it
 * serves /healthz, 1 when nothing answers. No Docker engine is needed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.js';
import { run } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';

/** This file runs as dist/test/integration/container-healthcheck.test.js. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The exec form of the Dockerfile's HEALTHCHECK CMD. */
function healthcheckCommand(): string[] {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n\s*/gu, ' ');
  const match = /^HEALTHCHECK .*?CMD (\[.*\])$/mu.exec(dockerfile);
  assert.ok(match?.[1], 'the Dockerfile has a HEALTHCHECK in exec form');
  return JSON.parse(match[1]) as string[];
}

let server: TestServer;
before(async () => {
  server = await startTestServer({ storage: { file: { path: 'users.yml' } } });
});
after(() => server?.close());

async function check(url: string): Promise<number> {
  const [command, ...args] = healthcheckCommand();
  assert.equal(command, 'node');
  return (await run(process.execPath, args, { env: { VRA_HEALTHCHECK_URL: url }, timeoutMs: 10_000 })).code;
}

test('healthy while the server answers GET /healthz', async () => {
  assert.equal(await check(`${server.url}/healthz`), 0);
});

test('unhealthy when nothing listens, or the answer is not 200', async () => {
  assert.equal(await check(`http://127.0.0.1:${await freePort()}/healthz`), 1);
  assert.equal(await check(`${server.url}/no-such-endpoint`), 1);
});
