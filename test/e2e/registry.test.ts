/**
 * End to end: a real Vault holds the users, our server issues the tokens, the
 * real distribution registry (v3, rootcertbundle) verifies them, and real
 * clients (crane and skopeo) push and pull a small image built by the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../src/passwords/hash.js';
import { ManualClock } from '../helpers/clock.js';
import { requirePeers } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'registry', 'crane', 'skopeo');

const USERS = {
  pusher: { password: 'pusher-Secret', access: 'repository:team/app:*' },
  puller: { password: 'puller-Secret', access: 'repository:team/app:pull' },
  cataloger: { password: 'cataloger-Secret', access: 'registry:catalog:*' },
} as const;
type User = keyof typeof USERS;

describe('a real registry with real clients', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let server: TestServer;
  let registry: RegistryServer;
  let work: string;
  // The user cache's clock: the test moves it past the TTL instead of waiting.
  const clock = new ManualClock();

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-e2e-'));
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    for (const [user, { password, access }] of Object.entries(USERS)) await vault.putUser('registry', 1, user, password, access);

    server = await startTestServer(
      {
        storage: { vault: { addr: vault.address, auth_token: 'vra-test-root-token' } },
        services: [{ name: 'registry' }],
        token: { issuer: 'vra-e2e' },
      },
      { clock },
    );
    const port = new URL(server.url).port;
    registry = await RegistryServer.start(peers.paths.registry, {
      realm: `http://localhost:${port}/auth`,
      service: 'registry',
      issuer: 'vra-e2e',
      rootCertBundle: server.certificatePath,
    });

    // The image: one layer holding one small file.
    const layerDir = path.join(work, 'layer');
    await mkdir(layerDir);
    await writeFile(path.join(layerDir, 'hello.txt'), 'hello from vault-registry-auth\n');
    const tar = await run('tar', ['-cf', path.join(work, 'layer.tar'), '-C', layerDir, 'hello.txt']);
    assert.equal(tar.code, 0, tar.stderr);
  });

  after(async () => {
    await registry?.stop();
    await server?.close();
    await vault?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** crane as `user`, with credentials in its own docker config folder. */
  async function crane(user: User | [string, string], ...args: string[]): Promise<RunResult> {
    const [name, password] = Array.isArray(user) ? user : [user, USERS[user].password];
    const dockerConfig = await mkdtemp(path.join(work, 'docker-'));
    const auth = Buffer.from(`${name}:${password}`).toString('base64');
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    return run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig } });
  }

  function skopeo(...args: string[]): Promise<RunResult> {
    return run(peers.paths.skopeo, ['--insecure-policy', ...args], { env: { HOME: work } });
  }

  const creds = (user: User): string => `${user}:${USERS[user].password}`;
  const ref = (tag: string): string => `${registry.host}/team/app:${tag}`;
  const refused = (result: RunResult): boolean => result.code !== 0 && /UNAUTHORIZED|DENIED|unauthorized|denied|401|403/u.test(result.stderr + result.stdout);

  test('a user granted repository:team/app:* pushes and pulls, with crane and with skopeo', async () => {
    const pushed = await crane('pusher', 'append', '--new_layer', path.join(work, 'layer.tar'), '--new_tag', ref('v1'));
    assert.equal(pushed.code, 0, `${pushed.stderr}\n${registry.output().slice(-3000)}`);

    const manifest = await crane('pusher', 'manifest', ref('v1'));
    assert.equal(manifest.code, 0, manifest.stderr);
    assert.equal(JSON.parse(manifest.stdout).layers.length, 1);
    const exported = await crane('pusher', 'export', ref('v1'), path.join(work, 'fs.tar'));
    assert.equal(exported.code, 0, exported.stderr);

    const layout = path.join(work, 'layout');
    const saved = await crane('pusher', 'pull', '--format=oci', ref('v1'), layout);
    assert.equal(saved.code, 0, saved.stderr);
    const skopeoPush = await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds('pusher'), `oci:${layout}`, `docker://${ref('v2')}`);
    assert.equal(skopeoPush.code, 0, skopeoPush.stderr);
    const skopeoPull = await skopeo(
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      creds('pusher'),
      `docker://${ref('v2')}`,
      `dir:${path.join(work, 'pulled-by-pusher')}`,
    );
    assert.equal(skopeoPull.code, 0, skopeoPull.stderr);
  });

  test('a user granted repository:team/app:pull pulls and is refused a push', async () => {
    const manifest = await crane('puller', 'manifest', ref('v1'));
    assert.equal(manifest.code, 0, manifest.stderr);
    const pulled = await skopeo(
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      creds('puller'),
      `docker://${ref('v1')}`,
      `dir:${path.join(work, 'pulled-by-puller')}`,
    );
    assert.equal(pulled.code, 0, pulled.stderr);

    const cranePush = await crane('puller', 'append', '--new_layer', path.join(work, 'layer.tar'), '--new_tag', ref('by-puller'));
    // crane may end with its own retry error ("ContentLength=… with Body
    // length 0") after the registry's 401 on the manifest: what counts is
    // that the push failed and the tag does not exist.
    assert.notEqual(cranePush.code, 0, `crane push should be refused:\n${cranePush.stderr}`);
    assert.match((await crane('pusher', 'manifest', ref('by-puller'))).stderr, /MANIFEST_UNKNOWN|not found|unknown/iu);
    const skopeoPush = await skopeo(
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      creds('puller'),
      `oci:${path.join(work, 'layout')}`,
      `docker://${ref('by-puller')}`,
    );
    assert.ok(refused(skopeoPush), `skopeo push should be refused:\n${skopeoPush.stderr}`);
  });

  test('a user granted registry:catalog:* lists the catalog; others may not', async () => {
    const catalog = await crane('cataloger', 'catalog', registry.host);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.deepEqual(catalog.stdout.trim().split('\n'), ['team/app']);
    const denied = await crane('puller', 'catalog', registry.host);
    assert.ok(refused(denied), denied.stderr);
  });

  test('a wrong password is refused', async () => {
    const viaCrane = await crane(['puller', 'wrong'], 'manifest', ref('v1'));
    assert.ok(refused(viaCrane), viaCrane.stderr);
    const viaSkopeo = await skopeo('inspect', '--tls-verify=false', '--creds', 'puller:wrong', `docker://${ref('v1')}`);
    assert.ok(refused(viaSkopeo), viaSkopeo.stderr);
  });

  test('a group grant lets a user push; leaving the group stops the next push once the cache TTL has passed', async () => {
    // Written the way the README shows, with plain `vault write`.
    await vault.cliOk('write', 'registry/_groups/team-devs', 'access=repository:team/**:pull,push');
    await vault.cliOk('write', 'registry/dev1', 'password=dev1-Secret', 'access=', 'groups=team-devs');
    const dev1: [string, string] = ['dev1', 'dev1-Secret'];
    const target = (tag: string): string => `${registry.host}/team/grouped/app:${tag}`;
    const pushed = await crane(dev1, 'append', '--new_layer', path.join(work, 'layer.tar'), '--new_tag', target('v1'));
    assert.equal(pushed.code, 0, pushed.stderr);

    await vault.cliOk('write', 'registry/dev1', 'password=dev1-Secret', 'access=', 'groups=');
    clock.advance(30_000);
    const again = await crane(dev1, 'append', '--new_layer', path.join(work, 'layer.tar'), '--new_tag', target('v2'));
    assert.ok(refused(again), `the push should be refused:\n${again.stderr}`);
  });

  test('the refresh-token flow: crane and skopeo with an identity token, refused after a password change once the cache TTL has passed', async () => {
    // A hashed password (plaintext ones get no refresh token), written with `vault write`.
    await vault.cliOk('write', 'registry/refresher', `password=${await hashPassword('refresher-Secret', 'bcrypt')}`, 'access=repository:team/app:*');
    const login = await fetch(`http://127.0.0.1:${new URL(server.url).port}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'docker',
        service: 'registry',
        access_type: 'offline',
        username: 'refresher',
        password: 'refresher-Secret',
      }),
    });
    assert.equal(login.status, 200);
    const identityToken = ((await login.json()) as { refresh_token: string }).refresh_token;
    // What `docker login` leaves behind when it received a refresh token: the
    // user name with an empty password, and the identitytoken.
    const config = await mkdtemp(path.join(work, 'identity-'));
    const auth = Buffer.from('refresher:').toString('base64');
    await writeFile(path.join(config, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth, identitytoken: identityToken } } }));
    const withIdentity = { env: { DOCKER_CONFIG: config, HOME: config } };
    const pushed = await run(
      peers.paths.crane,
      ['append', '--new_layer', path.join(work, 'layer.tar'), '--new_tag', ref('by-refresher'), '--insecure'],
      withIdentity,
    );
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await run(
      peers.paths.skopeo,
      ['--insecure-policy', 'inspect', '--tls-verify=false', '--authfile', path.join(config, 'config.json'), `docker://${ref('by-refresher')}`],
      withIdentity,
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(server.logs(), /"method":"POST".*"account":"refresher"|"account":"refresher".*"method":"POST"/u);

    await vault.cliOk('write', 'registry/refresher', `password=${await hashPassword('changed-Secret', 'bcrypt')}`, 'access=repository:team/app:*');
    clock.advance(30_000);
    const refused = await run(peers.paths.crane, ['manifest', ref('by-refresher'), '--insecure'], withIdentity);
    assert.ok(refused.code !== 0, 'the identity token is refused after the password change');
  });

  test('a user whose Vault entry is deleted is refused once the user cache TTL (30 s) has passed', async () => {
    await vault.putUser('registry', 1, 'leaver', 'leaver-Secret', 'repository:team/app:pull');
    assert.equal((await crane(['leaver', 'leaver-Secret'], 'manifest', ref('v1'))).code, 0);
    await vault.deleteUser('registry', 1, 'leaver');
    const cached = await crane(['leaver', 'leaver-Secret'], 'manifest', ref('v1'));
    assert.equal(cached.code, 0, `still cached: ${cached.stderr}`);
    clock.advance(30_000);
    const after = await crane(['leaver', 'leaver-Secret'], 'manifest', ref('v1'));
    assert.ok(refused(after), after.stderr);
  });
});
