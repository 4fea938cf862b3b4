/**
 * End to end with registry 2.8 (the `registry:2` image's code, built as
 * `registry2` by scripts/install-peers.sh): a real Vault holds the users, our
 * server issues the tokens, registry 2.8 verifies them against its
 * `rootcertbundle` (our certificate), and crane pushes and pulls. Registry 2.8
 * finds the key by a libtrust `kid` (`token.kid: libtrust`) or verifies an
 * `x5c` chain (`token.x5c: true`); the default thumbprint `kid` alone is
 * unknown to it. Our default key is P-256 (ES256), which 2.8 accepts (it
 * verifies RS* and ES* only).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requirePeers } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'registry2', 'crane');
const ISSUER = 'vra-e2e-registry2';
const USERS = {
  pusher: { password: 'pusher-Secret', access: 'repository:team/app:*' },
  puller: { password: 'puller-Secret', access: 'repository:team/app:pull' },
} as const;
type User = keyof typeof USERS;
/** A libtrust key ID: twelve groups of four base32 characters. */
const LIBTRUST_KID = /^[A-Z2-7]{4}(?::[A-Z2-7]{4}){11}$/u;

describe('registry 2.8 (registry:2) with our tokens', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let work: string;
  let layerTar: string;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-e2e-registry2-'));
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    for (const [user, { password, access }] of Object.entries(USERS)) await vault.putUser('registry', 1, user, password, access);

    // The image: one layer holding one small file.
    const layerDir = path.join(work, 'layer');
    await mkdir(layerDir);
    await writeFile(path.join(layerDir, 'hello.txt'), 'hello from vault-registry-auth to registry 2.8\n');
    layerTar = path.join(work, 'layer.tar');
    const tar = await run('tar', ['-cf', layerTar, '-C', layerDir, 'hello.txt']);
    assert.equal(tar.code, 0, tar.stderr);
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Our server with these token settings, and a registry 2.8 whose rootcertbundle is our certificate. */
  async function setUp(token: Record<string, unknown>): Promise<{ server: TestServer; registry: RegistryServer }> {
    const server = await startTestServer({
      storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN } },
      services: [{ name: 'registry' }],
      token: { issuer: ISSUER, ...token },
    });
    stops.push(() => server.close());
    const registry = await RegistryServer.start(peers.paths.registry2, {
      dialect: 'v2',
      realm: `http://localhost:${new URL(server.url).port}/auth`,
      service: 'registry',
      issuer: ISSUER,
      rootCertBundle: server.certificatePath,
    });
    stops.push(() => registry.stop());
    return { server, registry };
  }

  /** crane as `user` against `registry`, with credentials in its own docker config folder. */
  async function crane(registry: RegistryServer, user: User, ...args: string[]): Promise<RunResult> {
    const dockerConfig = await mkdtemp(path.join(work, 'docker-'));
    const auth = Buffer.from(`${user}:${USERS[user].password}`).toString('base64');
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    return run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig }, timeoutMs: 60_000 });
  }

  /** The JOSE header of a token our server issues to the puller. */
  async function tokenHeader(server: TestServer): Promise<Record<string, unknown>> {
    const { status, body } = await getToken(server, 'service=registry&scope=repository:team/app:pull', ['puller', USERS.puller.password]);
    assert.equal(status, 200, JSON.stringify(body));
    return JSON.parse(Buffer.from((body.token as string).split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  /** The pusher pushes and pulls; the puller pulls and is refused a push. */
  async function pushPullAndRefuse(registry: RegistryServer, label: string): Promise<void> {
    const ref = (tag: string): string => `${registry.host}/team/app:${tag}`;
    const pushed = await crane(registry, 'pusher', 'append', '--new_layer', layerTar, '--new_tag', ref('v1'));
    assert.equal(pushed.code, 0, `${pushed.stderr}\n${registry.output().slice(-3000)}`);
    const manifest = await crane(registry, 'pusher', 'manifest', ref('v1'));
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.equal(JSON.parse(manifest.stdout).layers.length, 1);
    const exported = await crane(registry, 'pusher', 'export', ref('v1'), path.join(work, `fs-${label}.tar`));
    assert.equal(exported.code, 0, exported.stderr);

    const pulled = await crane(registry, 'puller', 'pull', '--format=oci', ref('v1'), path.join(work, `pulled-${label}`));
    assert.equal(pulled.code, 0, `${pulled.stderr}\n${registry.output().slice(-3000)}`);
    const refused = await crane(registry, 'puller', 'append', '--new_layer', layerTar, '--new_tag', ref('by-puller'));
    // crane may end with its own retry error after the registry's 401: what
    // counts is that the push failed and the tag does not exist.
    assert.notEqual(refused.code, 0, `the puller's push should be refused:\n${refused.stderr}`);
    assert.match((await crane(registry, 'pusher', 'manifest', ref('by-puller'))).stderr, /MANIFEST_UNKNOWN|not found|unknown/iu);
  }

  test('token.kid: libtrust — crane pushes and pulls; a pull-only user is refused a push', async () => {
    const { server, registry } = await setUp({ kid: 'libtrust' });
    const header = await tokenHeader(server);
    assert.equal(header.alg, 'ES256');
    assert.match(String(header.kid), LIBTRUST_KID);
    assert.equal(header.x5c, undefined);
    await pushPullAndRefuse(registry, 'libtrust');
  });

  test('token.x5c: true (with the thumbprint kid) — the chain is verified against the bundle; push, pull and the refusal as well', async () => {
    const { server, registry } = await setUp({ x5c: true });
    const header = await tokenHeader(server);
    assert.equal(header.alg, 'ES256');
    assert.doesNotMatch(String(header.kid), LIBTRUST_KID);
    assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, JSON.stringify(header));
    await pushPullAndRefuse(registry, 'x5c');
  });

  test('the default thumbprint kid without x5c is refused by registry 2.8 (why token.kid: libtrust exists)', async () => {
    const { server, registry } = await setUp({});
    const { status, body } = await getToken(server, 'service=registry&scope=repository:team/app:pull', ['puller', USERS.puller.password]);
    assert.equal(status, 200, JSON.stringify(body));
    const response = await fetch(`http://127.0.0.1:${registry.port}/v2/`, { headers: { Authorization: `Bearer ${body.token as string}` } });
    await response.body?.cancel();
    assert.equal(response.status, 401);
    assert.match(registry.output(), /token signed by untrusted key with ID/u);
  });
});
