/**
 * `serve` telling the operator what it waits for: against a real Vault made
 * slow by a TCP proxy, the start-up steps that wait on Vault (the login,
 * the check of the services' mounts, the keys from token.vault_path) each
 * log that they are still going and when they are done; against a quick
 * one, start-up says none of it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeKey } from '../helpers/keys.js';
import { requirePeers } from '../helpers/peers.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');

describe('start-up progress messages', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let proxy: TcpProxy;
  let work: string;
  const servers: TestServer[] = [];

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-startup-'));
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    const key = await makeKey('p256');
    const [keyFile, certificateFile] = [path.join(work, 'token.key'), path.join(work, 'token.pem')];
    await writeFile(keyFile, key.keyPem, { mode: 0o600 });
    await writeFile(certificateFile, key.certificatePem);
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${keyFile}`, `certificate=@${certificateFile}`);
    proxy = await TcpProxy.start(Number(new URL(vault.address).port));
  });
  after(async () => {
    for (const server of servers) await server.close();
    await proxy?.close();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function start(noticeMs: number): Promise<TestServer> {
    const server = await startTestServer(
      {
        storage: { vault: { addr: `http://127.0.0.1:${proxy.port}`, auth_token: ROOT_TOKEN, timeout: '10s' } },
        services: [{ name: 'registry' }],
        token: { vault_path: 'secret/data/registry-token' },
      },
      { slowStepNoticeMs: noticeMs },
    );
    servers.push(server);
    return server;
  }

  /** The start-up progress lines logged (of the steps named, when given), in order, without repeats. */
  function progress(server: TestServer, ...steps: string[]): string[] {
    const messages = server
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { message: string; level: string });
    for (const line of messages.filter((one) => one.message.startsWith('start-up: '))) assert.equal(line.level, 'info');
    return messages
      .map((line) => line.message)
      .filter((message, at, all) => message.startsWith('start-up: ') && all.indexOf(message) === at)
      .filter((message) => steps.length === 0 || steps.some((step) => message.endsWith(` ${step}`)));
  }

  test('a slow Vault: each step waiting on it says it is still going, then that it is done', async () => {
    // Each new connection to Vault waits 400 ms, far past the 50 ms notice.
    // (The mount check that follows reuses the open connection, so whether it
    // is slow depends on the machine: it is left out here.)
    proxy.set('slow', 400);
    const server = await start(50);
    const address = `http://127.0.0.1:${proxy.port}`;
    assert.deepEqual(progress(server, `logging in to Vault at ${address}`, 'loading the signing keys'), [
      `start-up: still logging in to Vault at ${address}`,
      `start-up: done logging in to Vault at ${address}`,
      'start-up: still loading the signing keys',
      'start-up: done loading the signing keys',
    ]);
    assert.equal((await fetch(`${server.url}/certs`)).status, 200);
  });

  test('a quick Vault: start-up says none of it', async () => {
    proxy.set('forward');
    const server = await start(5_000);
    assert.deepEqual(progress(server), []);
    assert.match(server.logs(), /"message":"listening"/u);
  });
});
