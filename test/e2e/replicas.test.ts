/**
 * Two replicas of the token server behind one registry, as a load balancer
 * would run them: two `serve` processes with the same configuration, users
 * and signing keys in one real Vault (token.vault_path), and the real
 * registry v3 trusting that key. Nothing else is shared, so this checks that
 * no state lives only in one replica: access tokens from either one are
 * accepted by the registry, and a refresh token issued by one is redeemed at
 * the other (and the other way round) for a token the registry accepts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { hashPassword } from '../../src/passwords/hash.js';
import { serve, type ServeProcess } from '../helpers/cli.js';
import { makeKey, type TestKey } from '../helpers/keys.js';
import { requirePeers } from '../helpers/peers.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { basic } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'registry');
const ISSUER = 'vra-e2e-replicas';
const KEYS_PATH = 'secret/data/registry-token';
const ALICE = { name: 'alice', password: 'alice-Secret', access: 'repository:team/app:pull,push;registry:catalog:*' };

describe('two replicas sharing only Vault', { skip: peers.skip }, () => {
  let work: string;
  let vault: VaultServer;
  let registry: RegistryServer;
  let key: TestKey;
  const replicas: ServeProcess[] = [];

  /** A replica: `serve` in its own process, one worker, with the config every replica gets. */
  async function startReplica(name: string): Promise<ServeProcess> {
    const config = path.join(work, `${name}.yml`);
    await writeFile(
      config,
      yaml.dump({
        storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN } },
        services: [{ name: 'registry' }],
        http: { addr: '127.0.0.1:0', workers: 1 },
        token: { issuer: ISSUER, expiration: 300, vault_path: KEYS_PATH },
      }),
    );
    const replica = await serve(config);
    replicas.push(replica);
    return replica;
  }

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-e2e-replicas-'));
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    // A hashed password: users with a plaintext one get no refresh token.
    await vault.putUser('registry', 1, ALICE.name, await hashPassword(ALICE.password, 'bcrypt'), ALICE.access);

    // The key set, written once as an operator would (`vault kv put … key=@…`).
    key = await makeKey('p256');
    const keyFile = path.join(work, 'token.key');
    const certificateFile = path.join(work, 'token.pem');
    await writeFile(keyFile, key.keyPem, { mode: 0o600 });
    await writeFile(certificateFile, key.certificatePem);
    await vault.cliOk('kv', 'put', 'secret/registry-token', `key=@${keyFile}`, `certificate=@${certificateFile}`);

    const [a] = await Promise.all([startReplica('a'), startReplica('b')]);
    registry = await RegistryServer.start(peers.paths.registry, {
      realm: `${a.url}/auth`,
      service: 'registry',
      issuer: ISSUER,
      rootCertBundle: certificateFile,
    });
  });
  after(async () => {
    await registry?.stop();
    for (const replica of replicas) await replica.daemon.stop();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const [A, B] = [0, 1];
  const replica = (index: number): ServeProcess => {
    const found = replicas[index];
    assert.ok(found, `replica ${index} did not start`);
    return found;
  };

  /** POST a form to a replica's realm; the status and the parsed JSON. */
  async function post(index: number, fields: Record<string, string>): Promise<{ status: number; body: any }> {
    const response = await fetch(`${replica(index).url}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: response.status, body: await response.json() };
  }

  /** The registry's answer to a bearer token on a pull (404: authorized, the repository is empty) and the catalog. */
  async function registryAnswers(token: string): Promise<[number, number, unknown]> {
    const headers = { Authorization: `Bearer ${token}` };
    const tags = await fetch(`http://127.0.0.1:${registry.port}/v2/team/app/tags/list`, { headers });
    await tags.body?.cancel();
    const catalog = await fetch(`http://127.0.0.1:${registry.port}/v2/_catalog`, { headers });
    return [tags.status, catalog.status, await catalog.json()];
  }
  const ACCEPTED: [number, number, unknown] = [404, 200, { repositories: [] }];

  const SCOPE = 'repository:team/app:pull registry:catalog:*';
  const login = { grant_type: 'password', client_id: 'vra-e2e', service: 'registry', username: ALICE.name, password: ALICE.password, scope: SCOPE };

  test('an access token from either replica (GET with Basic) is accepted by the registry', async () => {
    for (const index of [A, B]) {
      const query = new URLSearchParams([
        ['service', 'registry'],
        ['scope', 'repository:team/app:pull'],
        ['scope', 'registry:catalog:*'],
      ]);
      const response = await fetch(`${replica(index).url}/auth?${query}`, { headers: { Authorization: basic(ALICE.name, ALICE.password) } });
      assert.equal(response.status, 200, `replica ${index}`);
      const { token } = (await response.json()) as { token: string };
      assert.deepEqual(await registryAnswers(token), ACCEPTED, `a token from replica ${index}`);
    }
    // A token that is not ours is refused: the registry checks the signature.
    assert.deepEqual((await registryAnswers('e30.e30.e30')).slice(0, 2), [401, 401]);
  });

  for (const [from, to, name] of [
    [A, B, 'A → B'],
    [B, A, 'B → A'],
  ] as const) {
    test(`a refresh token issued by one replica is redeemed at the other (${name})`, async () => {
      const issued = await post(from, { ...login, access_type: 'offline' });
      assert.equal(issued.status, 200);
      const refreshToken = issued.body.refresh_token as string;
      assert.equal(typeof refreshToken, 'string');

      const redeemed = await post(to, { grant_type: 'refresh_token', client_id: 'vra-e2e', service: 'registry', refresh_token: refreshToken, scope: SCOPE });
      assert.deepEqual([redeemed.status, redeemed.body.refresh_token, redeemed.body.scope], [200, refreshToken, 'repository:team/app:pull registry:catalog:*']);
      assert.deepEqual(await registryAnswers(redeemed.body.access_token as string), ACCEPTED);

      // containerd's GET fallback (an empty user, the refresh token as the password) works there too.
      const query = new URLSearchParams([
        ['service', 'registry'],
        ['scope', 'registry:catalog:*'],
      ]);
      const viaGet = await fetch(`${replica(to).url}/auth?${query}`, { headers: { Authorization: basic('', refreshToken) } });
      assert.equal(viaGet.status, 200);
      const { token } = (await viaGet.json()) as { token: string };
      assert.deepEqual((await registryAnswers(token)).slice(1), [200, { repositories: [] }]);
    });
  }
});
