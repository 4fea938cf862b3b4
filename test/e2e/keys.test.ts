/**
 * End to end with the real registry v3 and crane: the registry trusts what
 * `certs fetch` wrote — a `jwks` file or a `rootcertbundle` — and accepts
 * our tokens; and a whole key rotation (publish, roll the registries,
 * switch, retire) happens while a client pulls in a loop, without one
 * failed pull. Registries are rolled as a load balancer would: a new one
 * with the new bundle, new connections moved to it, then the old one
 * stopped (a TCP proxy stands for the load balancer).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { createSigner } from '../../src/tokens/signer.js';
import { signingKeyFromPem } from '../../src/tokens/signing-key.js';
import { CLI } from '../helpers/cli.js';
import { makeKey, type TestKey } from '../helpers/keys.js';
import { requirePeers } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('registry', 'crane');
const rotationPeers = requirePeers('registry', 'crane', 'vault');
const ISSUER = 'vra-e2e-keys';
const PUSHER = { name: 'pusher', password: 'pusher-Secret', access: 'repository:team/app:*' };

/** `certs fetch` as the init container runs it: the built CLI, in its own process. */
async function certsFetch(url: string, out: string, format: 'pem' | 'jwks'): Promise<void> {
  const result = await run(process.execPath, [CLI, 'certs', 'fetch', '--url', url, '--out', out, '--format', format]);
  assert.equal(result.code, 0, result.stderr);
}

/** A docker config folder with the pusher's credentials for `host`, and crane run with it. */
async function craneFor(work: string, host: string): Promise<(...args: string[]) => Promise<RunResult>> {
  const dockerConfig = await mkdtemp(path.join(work, 'docker-'));
  const auth = Buffer.from(`${PUSHER.name}:${PUSHER.password}`).toString('base64');
  await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
  return (...args) => run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig }, timeoutMs: 30_000 });
}

/** A one-file layer for `crane append`. */
async function layer(work: string): Promise<string> {
  const dir = path.join(work, 'layer');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'hello.txt'), 'hello from a rotated key\n');
  const tar = path.join(work, 'layer.tar');
  const made = await run('tar', ['-cf', tar, '-C', dir, 'hello.txt']);
  assert.equal(made.code, 0, made.stderr);
  return tar;
}

/** GET /v2/ with a bearer token: 200 when the registry trusts its signature. */
async function v2Status(registry: RegistryServer, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${registry.port}/v2/`, { headers: { Authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
}

describe('a registry v3 trusting the keys certs fetch wrote', { skip: peers.skip }, () => {
  let work: string;
  let server: TestServer;
  let tar: string;
  const registries: RegistryServer[] = [];

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-e2e-keys-'));
    server = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], token: { issuer: ISSUER } });
    await writeFile(path.join(server.dir, 'users.yml'), yaml.dump({ registry: { [PUSHER.name]: { password: PUSHER.password, access: PUSHER.access } } }));
    tar = await layer(work);
  });
  after(async () => {
    for (const registry of registries) await registry.stop();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function registryWith(option: { jwks: string } | { rootCertBundle: string }): Promise<RegistryServer> {
    const registry = await RegistryServer.start(peers.paths.registry, {
      realm: `http://localhost:${new URL(server.url).port}/auth`,
      service: 'registry',
      issuer: ISSUER,
      ...option,
    });
    registries.push(registry);
    return registry;
  }

  /** A token for the pusher signed with the server's key, with or without the x5c header. */
  async function token(x5c: boolean): Promise<string> {
    const key = signingKeyFromPem(await readFile(path.join(server.dir, 'token.key'), 'utf8'), server.certificatePem, 'thumbprint');
    const request = { issuer: ISSUER, subject: PUSHER.name, audience: 'registry', access: [], expiresInSeconds: 300 };
    return (await createSigner(key, { x5c }).sign(request)).token;
  }

  test('jwks (written by certs fetch --format jwks): crane pushes and pulls; a token with x5c is refused there', async () => {
    const jwks = path.join(work, 'jwks.json');
    await certsFetch(`${server.url}/jwks`, jwks, 'jwks');
    const registry = await registryWith({ jwks });
    const crane = await craneFor(work, registry.host);
    const pushed = await crane('append', '--new_layer', tar, '--new_tag', `${registry.host}/team/app:v1`);
    assert.equal(pushed.code, 0, `${pushed.stderr}\n${registry.output().slice(-2000)}`);
    const pulled = await crane('manifest', `${registry.host}/team/app:v1`);
    assert.equal(pulled.code, 0, pulled.stderr);

    // What the server sends (kid, no x5c) is trusted; an x5c chain cannot be
    // verified without a rootcertbundle, and v3 does not fall back to kid.
    assert.equal(await v2Status(registry, await token(false)), 200);
    assert.equal(await v2Status(registry, await token(true)), 401);
  });

  test('rootcertbundle (written by certs fetch): crane pushes and pulls; kid and x5c tokens are both trusted', async () => {
    const bundle = path.join(work, 'bundle.pem');
    await certsFetch(`${server.url}/certs`, bundle, 'pem');
    const registry = await registryWith({ rootCertBundle: bundle });
    const crane = await craneFor(work, registry.host);
    const pushed = await crane('append', '--new_layer', tar, '--new_tag', `${registry.host}/team/app:v1`);
    assert.equal(pushed.code, 0, `${pushed.stderr}\n${registry.output().slice(-2000)}`);
    assert.equal((await crane('manifest', `${registry.host}/team/app:v1`)).code, 0);
    assert.equal(await v2Status(registry, await token(false)), 200);
    assert.equal(await v2Status(registry, await token(true)), 200);
  });
});

/** crane pulling one manifest over and over until stopped (bounded in count and time), counting each outcome. */
class PullLoop {
  pulls = 0;
  readonly failures: string[] = [];
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(pull: () => Promise<RunResult>, { maxPulls, maxMs }: { maxPulls: number; maxMs: number }) {
    const deadline = Date.now() + maxMs;
    this.#done = (async () => {
      while (!this.#stopped && this.pulls < maxPulls && Date.now() < deadline) {
        const result = await pull();
        this.pulls += 1;
        if (result.code !== 0) this.failures.push(`pull ${this.pulls}: ${result.stderr.trim()}`);
      }
    })();
  }

  /** Resolves once `count` more pulls have finished. */
  async next(count: number): Promise<void> {
    const target = this.pulls + count;
    const deadline = Date.now() + 60_000;
    while (this.pulls < target) {
      if (Date.now() > deadline) throw new Error(`the pull loop stalled at ${this.pulls}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

describe('rotating the signing key while a client pulls', { skip: rotationPeers.skip }, () => {
  let work: string;
  let vault: VaultServer;
  let server: TestServer;
  let proxy: TcpProxy;
  const registries = new Set<RegistryServer>();

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-e2e-rotation-'));
    vault = await VaultServer.start(rotationPeers.paths.vault);
    await vault.enableKv('registry', 1);
    await vault.putUser('registry', 1, PUSHER.name, PUSHER.password, PUSHER.access);
  });
  after(async () => {
    for (const registry of registries) await registry.stop();
    await proxy?.close();
    await server?.close();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Writes the key set to Vault as an operator would (`vault kv put`), with PEM files. */
  async function putKeys(active: TestKey, ...published: TestKey[]): Promise<void> {
    const file = async (name: string, text: string): Promise<string> => {
      const at = path.join(work, name);
      await writeFile(at, text, { mode: 0o600 });
      return at;
    };
    const fields = [`key=@${await file('active.key', active.keyPem)}`, `certificate=@${await file('active.pem', active.certificatePem)}`];
    if (published.length > 0) fields.push(`published=@${await file('published.pem', published.map((key) => key.certificatePem).join(''))}`);
    await vault.cliOk('kv', 'put', 'secret/registry-token', ...fields);
  }

  /** Waits until /certs serves exactly these certificates, in order (every replica re-reads Vault every 200 ms). */
  async function published(...keys: TestKey[]): Promise<void> {
    const expected = keys.map((key) => key.certificatePem.replace(/\s+/gu, ''));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const body = await (await fetch(`${server.url}/certs`)).text();
      const served = (body.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? []).map((pem) => pem.replace(/\s+/gu, ''));
      if (JSON.stringify(served) === JSON.stringify(expected)) return;
      if (Date.now() > deadline) assert.fail(`/certs did not change to ${keys.length} certificate(s)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A registry replica with the bundle `certs fetch` writes now, sharing the storage of the others. */
  async function newRegistry(name: string): Promise<RegistryServer> {
    const bundle = path.join(work, `${name}.pem`);
    await certsFetch(`${server.url}/certs`, bundle, 'pem');
    const registry = await RegistryServer.start(rotationPeers.paths.registry, {
      realm: `http://localhost:${new URL(server.url).port}/auth`,
      service: 'registry',
      issuer: ISSUER,
      rootCertBundle: bundle,
      dataDir: path.join(work, 'registry-data'),
    });
    registries.add(registry);
    return registry;
  }

  /** The rolling restart: new connections go to `next`; `previous` stops once the pulls in flight have finished. */
  async function roll(loop: PullLoop, previous: RegistryServer, next: RegistryServer): Promise<void> {
    proxy.targetPort = next.port;
    await loop.next(2);
    await previous.stop();
    registries.delete(previous);
  }

  test('publish, roll the registries, switch, retire, roll again: no pull fails', async () => {
    const [a, b] = await Promise.all([makeKey('p256'), makeKey('p256')]);
    await putKeys(a);
    server = await startTestServer({
      storage: { vault: { addr: vault.address, auth_token: 'vra-test-root-token' } },
      services: [{ name: 'registry' }],
      token: { issuer: ISSUER, vault_path: 'secret/data/registry-token', reload: '200ms' },
    });
    let registry = await newRegistry('bundle-a');
    proxy = await TcpProxy.start(registry.port);
    const host = `localhost:${proxy.port}`;
    const crane = await craneFor(work, host);
    const pushed = await crane('append', '--new_layer', await layer(work), '--new_tag', `${host}/team/app:v1`);
    assert.equal(pushed.code, 0, pushed.stderr);

    const loop = new PullLoop(() => crane('manifest', `${host}/team/app:v1`), { maxPulls: 400, maxMs: 90_000 });
    try {
      await loop.next(2);

      // 1. Publish b beside a; roll the registries onto a bundle with both.
      await putKeys(a, b);
      await published(a, b);
      const both = await newRegistry('bundle-ab');
      await roll(loop, registry, both);
      registry = both;

      // 2. Switch: b signs, a stays published for the tokens it signed.
      await putKeys(b, a);
      await published(b, a);
      await loop.next(3);

      // 3. Retire a (after the tokens it signed have expired; here none is
      //    kept between pulls), and roll the registries onto b alone.
      await putKeys(b);
      await published(b);
      const onlyB = await newRegistry('bundle-b');
      await roll(loop, registry, onlyB);
      await loop.next(3);
    } finally {
      await loop.stop();
    }
    assert.deepEqual(loop.failures, []);
    assert.ok(loop.pulls >= 10, `only ${loop.pulls} pulls`);
  });
});
