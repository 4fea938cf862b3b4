/**
 * Reload without dropping a request: `serve` (the real CLI, file store, no
 * Vault) under a steady load of 8 keep-alive loops, reloaded by SIGHUP and by
 * an edit of its config file, with one worker process and with two. A valid
 * config applies to new tokens; an invalid one (an unknown key, a missing
 * key file) is refused with one log line while the old config serves; a
 * replaced key file changes the signing key and /jwks. Not one request of
 * the load may fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { serve } from '../helpers/cli.js';
import { makeKey } from '../helpers/keys.js';
import { startLoad } from '../helpers/load.js';
import { waitFor } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';
import { basic, claimsOf } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

type Document = { http: Record<string, unknown>; token: Record<string, unknown> };

/**
 * The server's log lines other than the access and audit lines, all of them
 * (the daemon's output keeps only its last 64 KB, which the load fills fast).
 */
function keepLogLines(child: ChildProcess): () => Array<Record<string, unknown>> {
  const kept: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.message === 'string' && parsed.message !== 'request') kept.push(parsed);
    }
  });
  return () => kept;
}

/** GET on a connection of its own (so that with two workers either may answer). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      })
      .on('error', reject);
  });
}

test('reload under load: SIGHUP, a config edit, refused configs, a replaced key; workers 1 and 2', async (t) => {
  for (const workers of [1, 2]) {
    await t.test(`http.workers: ${workers}`, () => reloadScenario(workers));
  }
});

async function reloadScenario(workers: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-reload-'));
  await mkdir(path.join(dir, 'config'));
  const configFile = path.join(dir, 'config', 'default.yml');
  const base = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as Document;
  base.http.addr = '127.0.0.1:0';
  base.http.workers = workers;
  const writeConfig = (change: (document: Document) => void): Promise<void> => {
    const document = structuredClone(base);
    change(document);
    return writeFile(configFile, yaml.dump(document));
  };
  await writeConfig(() => {});
  const { daemon, url } = await serve(configFile);
  const logLines = keepLogLines(daemon.child);
  try {
    const password = /the password:\n\n {4}(\S+)\n/u.exec(daemon.output())?.[1] as string;
    assert.ok(password, daemon.output());
    const auth = { Authorization: basic('admin', password) };
    const tokenUrl = `${url}/auth?service=registry&scope=repository:demo/app:pull`;
    const lines = (message: string) => logLines().filter((line) => line.message === message);
    /** Lifetimes (exp - iat) and kids of six tokens, each on a new connection. */
    const issued = async (): Promise<{ lifetimes: number[]; kids: string[] }> => {
      const lifetimes: number[] = [];
      const kids: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const { status, body } = await get(tokenUrl, auth);
        assert.equal(status, 200);
        const claims = claimsOf(body.token);
        lifetimes.push(claims.exp - claims.iat);
        kids.push(JSON.parse(Buffer.from(body.token.split('.')[0], 'base64url').toString('utf8')).kid);
      }
      return { lifetimes, kids };
    };
    /** Runs `change` while 8 loops ask for tokens, waits for `done`, and checks that nothing failed. */
    const underLoad = async (what: string, change: () => Promise<void>, done: () => boolean): Promise<void> => {
      const load = startLoad(tokenUrl, auth);
      await waitFor('the load running', async () => load.answered() >= 40, 20_000);
      await change();
      await waitFor(what, async () => done(), 20_000);
      const after = load.answered();
      await waitFor('more answers after it', async () => load.answered() >= after + 40, 20_000);
      const result = await load.stop();
      assert.deepEqual(result.failures, [], `${what}: failed requests`);
    };
    const listening = JSON.parse(
      daemon
        .output()
        .split('\n')
        .find((line) => line.includes('"message":"listening"')) as string,
    );
    const firstKid = listening.kid as string;
    assert.ok(firstKid);
    // The pid to send SIGHUP to is in the ready line (the primary's, with workers).
    assert.equal(listening.pid, daemon.child.pid);
    assert.deepEqual((await issued()).lifetimes, [300, 300, 300, 300, 300, 300]);

    // SIGHUP after an edit: one reload per process, said by each.
    await underLoad(
      'the SIGHUP reload',
      async () => {
        await writeConfig((document) => {
          document.token.expiration = 900;
        });
        process.kill(listening.pid, 'SIGHUP');
      },
      () => lines('reloaded').length >= workers,
    );
    assert.deepEqual(
      lines('reloaded').map((line) => line.reason),
      Array(workers).fill('SIGHUP'),
    );
    if (workers > 1) assert.equal(new Set(lines('reloaded').map((line) => line.pid)).size, workers, 'each worker reloaded');
    assert.deepEqual((await issued()).lifetimes, [900, 900, 900, 900, 900, 900]);

    // An edit alone: the watch reloads.
    await underLoad(
      'the reload on a file change',
      () =>
        writeConfig((document) => {
          document.token.expiration = 600;
        }),
      () => lines('reloaded').length >= 2 * workers,
    );
    assert.deepEqual(
      lines('reloaded')
        .slice(workers)
        .map((line) => line.reason),
      Array(workers).fill('file change'),
    );
    assert.deepEqual((await issued()).lifetimes, [600, 600, 600, 600, 600, 600]);

    // An unknown key: refused in one line, the running config serves on.
    await underLoad(
      'the refusal of an unknown key',
      () =>
        writeConfig((document) => {
          document.token.expiration = 1200;
          document.token.bogus = 1;
        }),
      () =>
        lines('reload refused, the running configuration keeps serving: ' + `invalid configuration in ${configFile}: token.bogus is not a known key`).length ===
        1,
    );
    assert.equal(logLines().filter((line) => String(line.message).startsWith('reload refused')).length, 1);
    assert.equal(lines('reloaded').length, 2 * workers);
    assert.deepEqual((await issued()).lifetimes, [600, 600, 600, 600, 600, 600]);

    // A key file that does not exist: refused, naming the setting and the file.
    const missing = path.join(dir, 'certs', 'missing.key');
    await underLoad(
      'the refusal of a missing key file',
      () =>
        writeConfig((document) => {
          document.token.expiration = 1200;
          document.token.key = '../certs/missing.key';
        }),
      () => logLines().filter((line) => String(line.message).startsWith('reload refused')).length === 2,
    );
    const refusals = logLines().filter((line) => String(line.message).startsWith('reload refused'));
    assert.equal(
      refusals[1]?.message,
      `reload refused, the running configuration keeps serving: token.key and token.certificate (${missing}, ${path.join(dir, 'certs', 'token.pem')}): no such file: ${missing}`,
    );
    assert.equal(lines('reloaded').length, 2 * workers);
    assert.deepEqual((await issued()).lifetimes, [600, 600, 600, 600, 600, 600]);

    // Back to a valid config, then the key and certificate replaced: a new kid, in /jwks too.
    await writeConfig((document) => {
      document.token.expiration = 600;
    });
    await waitFor('the reload of the valid config', async () => lines('reloaded').length >= 3 * workers, 20_000);
    const key = await makeKey('p256');
    await underLoad(
      'the reload of a new key',
      async () => {
        await writeFile(path.join(dir, 'certs', 'token.key'), key.keyPem, { mode: 0o600 });
        await writeFile(path.join(dir, 'certs', 'token.pem'), key.certificatePem);
      },
      () => lines('reloaded').length >= 4 * workers,
    );
    const newKid = lines('reloaded').at(-1)?.kid as string;
    assert.notEqual(newKid, firstKid);
    assert.deepEqual(
      lines('reloaded')
        .slice(3 * workers)
        .map((line) => line.kid),
      Array(workers).fill(newKid),
    );
    assert.deepEqual((await issued()).kids, Array(6).fill(newKid));
    for (let i = 0; i < 4; i += 1) {
      const jwks = await get(`${url}/jwks`);
      assert.equal(jwks.status, 200);
      assert.deepEqual(
        jwks.body.keys.map((jwk: { kid: string }) => jwk.kid),
        [newKid],
      );
    }
    assert.equal(logLines().filter((line) => String(line.message).startsWith('reload refused')).length, 2);
  } finally {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const peers = requirePeers('vault');

test('a changed Vault config whose login fails is refused; a working one is taken', { skip: peers.skip }, async () => {
  const vault = await VaultServer.start(peers.paths.vault);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-reload-vault-'));
  const configFile = path.join(dir, 'config.yml');
  const writeConfig = (authToken: string, expiration: number) =>
    writeFile(
      configFile,
      yaml.dump({
        storage: { vault: { addr: vault.address, auth_token: authToken } },
        http: { addr: '127.0.0.1:0', workers: 1 },
        token: { issuer: 'vra-test', expiration, key: 'token.key', certificate: 'token.pem', generate: true },
        services: [{ name: 'registry', mount: 'secret' }],
        audit: { output: 'off' },
      }),
    );
  await writeConfig(ROOT_TOKEN, 300);
  // The file's Vault settings, not the environment's.
  const { daemon } = await serve(configFile, { VAULT_ADDR: '', VAULT_TOKEN: '' });
  const logLines = keepLogLines(daemon.child);
  const refusals = () => logLines().filter((line) => String(line.message).startsWith('reload refused'));
  try {
    await writeConfig('not-a-vault-token', 900);
    await waitFor('the refusal', async () => refusals().length === 1, 20_000);
    assert.equal(
      refusals()[0]?.message,
      `reload refused, the running configuration keeps serving: storage.vault: cannot log in to Vault at ${vault.address}: the Vault token from storage.vault.auth_token or VAULT_TOKEN is invalid, expired or revoked`,
    );
    // The failed trial login is told in the refusal only: the server has no outage.
    assert.deepEqual(
      logLines().map((line) => line.message),
      [refusals()[0]?.message],
    );

    await writeConfig(ROOT_TOKEN, 900);
    await waitFor('the reload', async () => logLines().filter((line) => line.message === 'reloaded').length === 1, 20_000);
    assert.equal(refusals().length, 1);
  } finally {
    await daemon.stop();
    await vault.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
