/**
 * Signing keys kept in a real Vault (token.vault_path), written the way the
 * README says (`vault kv put … key=@… certificate=@…`). Two servers stand
 * for two replicas: a rotation written once reaches both without a restart;
 * a broken write or Vault going away keeps the keys they had; a start that
 * cannot read the keys fails, naming token.vault_path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { keyId } from '../../src/domain/key-id.js';
import { makeKey, type TestKey } from '../helpers/keys.js';
import { requirePeers } from '../helpers/peers.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { createToken, writeProjectPolicy } from '../helpers/vault-admin.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const KEYS_PATH = 'secret/data/registry-token';

describe('signing keys in Vault', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let work: string;
  let a: TestKey;
  let b: TestKey;
  const servers: TestServer[] = [];

  const kid = (key: TestKey): string => keyId(new X509Certificate(key.certificatePem).publicKey, 'thumbprint');

  /** PEM files for `vault kv put … key=@file`, as an operator would pass them. */
  async function files(name: string, key: TestKey): Promise<{ key: string; certificate: string }> {
    const paths = { key: path.join(work, `${name}.key`), certificate: path.join(work, `${name}.pem`) };
    await writeFile(paths.key, key.keyPem, { mode: 0o600 });
    await writeFile(paths.certificate, key.certificatePem);
    return paths;
  }

  const document = (token = ROOT_TOKEN, vaultPath = KEYS_PATH) => ({
    storage: { vault: { addr: vault.address, auth_token: token } },
    services: [{ name: 'registry' }],
    token: { vault_path: vaultPath, reload: '200ms' },
  });

  async function start(token?: string, vaultPath?: string): Promise<TestServer> {
    const server = await startTestServer(document(token, vaultPath));
    servers.push(server);
    return server;
  }

  const kids = async (server: TestServer): Promise<string[]> =>
    ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

  /** Polls until every server publishes `expected` (reload is 200 ms). */
  async function until(expected: string[], ...targets: TestServer[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const server of targets) {
      while (JSON.stringify(await kids(server)) !== JSON.stringify(expected)) {
        if (Date.now() > deadline) assert.deepEqual(await kids(server), expected);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async function tokenFrom(server: TestServer): Promise<string> {
    const { status, body } = await getToken(server, 'service=registry&scope=repository:team/app:pull', ['foo', 'foo-Secret']);
    assert.equal(status, 200, JSON.stringify(body));
    return body.token;
  }

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-vault-keys-'));
    [a, b] = await Promise.all([makeKey('p256'), makeKey('rsa')]);
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    await vault.putUser('registry', 1, 'foo', 'foo-Secret', 'repository:team/app:pull');
  });
  after(async () => {
    for (const server of servers) await server.close();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('no secret yet: the start fails, naming token.vault_path and what to write', async () => {
    await assert.rejects(start(), {
      name: 'StartupError',
      message: `token.vault_path (${KEYS_PATH}): no secret there (status 404): write one with the fields key and certificate (PEM), and optionally published`,
    });
  });

  test('a token whose policy does not allow the path: the start fails, saying what the policy needs', async () => {
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${(await files('a', a)).key}`, `certificate=@${(await files('a', a)).certificate}`);
    await writeProjectPolicy(vault, 'users-only');
    const { token } = await createToken(vault, { policies: ['users-only'], no_default_policy: true });
    await assert.rejects(start(token), {
      name: 'StartupError',
      message: `token.vault_path (${KEYS_PATH}): permission denied: the Vault token's policy must allow "read" on ${KEYS_PATH}`,
    });
  });

  test('two replicas sign with the key in Vault; a rotation written once reaches both without a restart', async () => {
    const [one, two] = [await start(), await start()];
    for (const server of [one, two]) {
      assert.deepEqual(await kids(server), [kid(a)]);
      assert.equal(decodeProtectedHeader(await tokenFrom(server)).kid, kid(a));
    }
    const [fileA, fileB] = [await files('a', a), await files('b', b)];

    // 1. Publish the next key: both replicas still sign with a, and show b.
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${fileA.key}`, `certificate=@${fileA.certificate}`, `published=@${fileB.certificate}`);
    await until([kid(a), kid(b)], one, two);
    assert.equal(decodeProtectedHeader(await tokenFrom(two)).kid, kid(a));

    // 2. Switch: b signs, a is still published (its tokens stay valid).
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${fileB.key}`, `certificate=@${fileB.certificate}`, `published=@${fileA.certificate}`);
    await until([kid(b), kid(a)], one, two);
    for (const server of [one, two]) {
      const token = await tokenFrom(server);
      assert.deepEqual(decodeProtectedHeader(token), { typ: 'JWT', alg: 'RS256', kid: kid(b) });
      await compactVerify(token, new X509Certificate(b.certificatePem).publicKey);
    }
    const certs = await (await fetch(`${one.url}/certs`)).text();
    assert.equal(certs, new X509Certificate(b.certificatePem).toString() + new X509Certificate(a.certificatePem).toString());

    // 3. Retire a.
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${fileB.key}`, `certificate=@${fileB.certificate}`);
    await until([kid(b)], one, two);
    assert.match(one.logs(), /"message":"signing keys reloaded from Vault"/u);
  });

  test('a broken write keeps the keys loaded before, and says so once in the log', async () => {
    const server = servers.at(-1)!;
    await vault.cliOk('kv', 'put', 'secret/registry-token', 'key=not a key', 'certificate=not a certificate');
    const deadline = Date.now() + 10_000;
    while (!server.logs().includes('the fields key and certificate') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await kids(server), [kid(b)]);
    assert.equal(decodeProtectedHeader(await tokenFrom(server)).kid, kid(b));
    const lines = server
      .logs()
      .split('\n')
      .filter((line) => line.includes(`token.vault_path (${KEYS_PATH}): the fields key and certificate`));
    assert.equal(lines.length, 1, server.logs());
    assert.equal(JSON.parse(lines[0]!).level, 'error');
    assert.equal(server.logs().includes('PRIVATE KEY'), false, 'no key material in the log');
  });

  test('a KV version 1 secret works the same', async () => {
    await vault.enableKv('keys1', 1);
    const fileA = await files('a', a);
    await vault.cliOk('write', 'keys1/token', `key=@${fileA.key}`, `certificate=@${fileA.certificate}`);
    const server = await start(ROOT_TOKEN, 'keys1/token');
    assert.deepEqual(await kids(server), [kid(a)]);
  });

  test('Vault gone: the keys loaded before keep serving', async () => {
    const server = servers.at(-1)!;
    await vault.stop();
    const deadline = Date.now() + 10_000;
    while (!server.logs().includes('Vault cannot be read') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(server.logs(), /token\.vault_path \(keys1\/token\): Vault cannot be read: .*; keeping the signing keys loaded before/u);
    assert.deepEqual(await kids(server), [kid(a)]);
  });
});
