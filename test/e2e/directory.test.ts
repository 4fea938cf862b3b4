/**
 * Directory logins end to end: a real slapd (the demo directory), a real
 * Vault whose ldap auth method maps the LDAP group `musicians` to the policy
 * `registry-musicians`, our server with `logins: [kv, {vault_auth: ldap}]`
 * as the token realm of the real distribution registry (v3), and real
 * clients: crane, and docker with a dockerd of the test's own.
 *
 * A musician (mozart) pushes and pulls, a philosopher (kant) is refused with
 * our 401, the KV user test (pull only) pulls and is refused a push, and
 * taking mozart out of the LDAP group stops his next push once the user
 * cache's TTL has passed (a manual clock, moved past it). The other two
 * login kinds end to end with crane: a userpass user (Vault's own user list)
 * pushes with its mapped policy's group, and a CI job pushes to its own
 * project with a JWT that Vault's jwt method checks (a key the test makes).
 *
 * dockerd needs root: its tests skip with a message when not root (a
 * failure under CI=true, like a missing peer).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { hashPassword } from '../../src/passwords/hash.js';
import { ManualClock } from '../helpers/clock.js';
import { DockerDaemon } from '../helpers/docker-daemon.js';
import { requirePeers, requireRoot } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { DEMO_PASSWORD, demoLdapConfig, SlapdServer } from '../helpers/slapd-server.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';
import { apiOk, enableAuth } from '../helpers/vault-admin.js';
import { serverToken } from '../helpers/vault-audit.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'registry', 'crane', 'slapd', 'ldapmodify', 'containerd', 'ctr', 'dockerd', 'docker');
const rootSkip = peers.skip ? false : requireRoot('dockerd');

const ISSUER = 'vra-directory';
const CACHE_TTL_MS = 30_000;
const COMMAND_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;
const HOOK_TIMEOUT_MS = 120_000;
/** The KV user of the demo that may only pull. */
const TEST_USER = { name: 'test', password: '123' };
/** What our realm answers bad credentials with, as clients print it. */
const REALM_REFUSAL = 'UNAUTHORIZED: invalid username or password';
/** A userpass user of Vault's own user list, mapped to the musicians' policy. */
const CAROL = { name: 'carol', password: 'carol-Userpass-1' };
/** The CI side: the issuer and audience of the job tokens, and the project a job runs for. */
const CI_ISSUER = 'https://ci.example.test';
const CI_AUDIENCE = 'registry';
const CI_PROJECT = 'group/app';

/** The last line a client printed on stderr (crane logs timestamped lines before its error). */
const lastLine = (result: RunResult): string => result.stderr.trim().split('\n').at(-1) ?? '';

const ok = (result: RunResult, what: string): void => assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);

describe('directory logins with a real registry, crane and docker', { skip: peers.skip }, () => {
  const clock = new ManualClock(Date.now());
  let slapd: SlapdServer;
  let vault: VaultServer;
  let server: TestServer;
  let registry: RegistryServer;
  let work: string;
  let layerTar: string;
  /** Our own dockerd, when root. */
  let docker: DockerDaemon | undefined;
  /** The DOCKER_CONFIG folder mozart's `docker login` wrote. */
  let mozartDocker = '';
  /** Signs the CI jobs' tokens (Vault's jwt method trusts its public key). */
  let ciKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  /** A GitLab-like job token for `project`. */
  async function jobToken(project: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ project_path: project, namespace_path: project.split('/')[0] })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(CI_ISSUER)
      .setAudience(CI_AUDIENCE)
      .setSubject(`project_path:${project}:ref_type:branch:ref:main`)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + 300)
      .sign(ciKey);
  }

  const ref = (repository: string, tag: string): string => `${registry.host}/${repository}:${tag}`;

  /** crane with a docker config of its own holding `user:password`. */
  async function crane([user, password]: [string, string], ...args: string[]): Promise<RunResult> {
    const dockerConfig = await mkdtemp(path.join(work, 'crane-'));
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    return run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig }, timeoutMs: COMMAND_TIMEOUT_MS });
  }

  const push = (credentials: [string, string], target: string): Promise<RunResult> =>
    crane(credentials, 'append', '--new_layer', layerTar, '--new_tag', target);

  before(
    async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'vra-directory-e2e-'));
      slapd = await SlapdServer.start({ slapd: peers.paths.slapd, ldapmodify: peers.paths.ldapmodify });
      vault = await VaultServer.start(peers.paths.vault);
      await vault.cliOk('auth', 'enable', 'ldap');
      await vault.cliOk('write', 'auth/ldap/config', ...demoLdapConfig(slapd.url, slapd.baseDn));
      await vault.cliOk('write', 'auth/ldap/groups/musicians', 'policies=registry-musicians');
      await vault.cliOk('secrets', 'enable', '-path=registry', '-version=2', 'kv');
      await vault.cliOk('kv', 'put', 'registry/_groups/registry-musicians', 'access=repository:music/**:pull,push');
      await vault.cliOk('kv', 'put', 'registry/test', `password=${await hashPassword(TEST_USER.password, 'bcrypt')}`, 'access=repository:music/**:pull');
      // Vault's own user list, and CI jobs' tokens through the jwt method.
      await vault.cliOk('auth', 'enable', 'userpass');
      await vault.cliOk('write', `auth/userpass/users/${CAROL.name}`, `password=${CAROL.password}`, 'token_policies=registry-musicians');
      const ci = await generateKeyPair('ES256', { extractable: true });
      ciKey = ci.privateKey;
      await enableAuth(vault, 'jwt', 'jwt');
      await apiOk(vault, 'POST', 'auth/jwt/config', { jwt_validation_pubkeys: [await exportSPKI(ci.publicKey)], bound_issuer: CI_ISSUER });
      await apiOk(vault, 'POST', 'auth/jwt/role/registry-ci', {
        role_type: 'jwt',
        bound_audiences: [CI_AUDIENCE],
        user_claim: 'sub',
        bound_claims: { namespace_path: 'group' },
        token_policies: ['registry-ci'],
        token_ttl: 60,
      });
      await vault.cliOk('kv', 'put', 'registry/_groups/registry-ci', 'access=repository:music/**:pull');
      await writeFile(path.join(work, 'server.hcl'), 'path "registry/data/*" {\n  capabilities = ["read"]\n}\n');
      await vault.cliOk('policy', 'write', 'vault-registry-auth', path.join(work, 'server.hcl'));
      const token = await serverToken(vault, ['vault-registry-auth']);

      server = await startTestServer(
        {
          storage: { vault: { addr: vault.address, auth_token: token.token } },
          cache: { ttl: '30s' },
          services: [
            {
              name: 'registry',
              logins: [
                'kv',
                { vault_auth: 'ldap' },
                { vault_auth: 'userpass' },
                { vault_jwt: 'jwt', role: 'registry-ci', username: 'ci', access: 'repository:${claims.project_path}:push,pull' },
              ],
            },
          ],
          token: { issuer: ISSUER },
          throttle: { enabled: false },
        },
        { clock },
      );
      registry = await RegistryServer.start(peers.paths.registry, {
        realm: `http://localhost:${new URL(server.url).port}/auth`,
        service: 'registry',
        issuer: ISSUER,
        rootCertBundle: server.certificatePath,
      });

      // The image: one layer holding one small file.
      const layerDir = path.join(work, 'layer');
      await mkdir(layerDir);
      await writeFile(path.join(layerDir, 'hello.txt'), 'hello from a musician\n');
      layerTar = path.join(work, 'layer.tar');
      ok(await run('tar', ['-cf', layerTar, '-C', layerDir, 'hello.txt'], { timeoutMs: 30_000 }), 'tar');
      if (!rootSkip) docker = await DockerDaemon.start(peers.paths, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  after(
    async () => {
      await docker?.stop();
      await registry?.stop();
      await server?.close();
      await vault?.stop();
      await slapd?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  describe('crane', () => {
    test('mozart (LDAP group musicians) pushes and pulls', { timeout: TEST_TIMEOUT_MS }, async () => {
      ok(await push(['mozart', DEMO_PASSWORD], ref('music/symphony', 'v1')), 'crane append (mozart)');
      const manifest = await crane(['mozart', DEMO_PASSWORD], 'manifest', ref('music/symphony', 'v1'));
      ok(manifest, 'crane manifest (mozart)');
      assert.equal(JSON.parse(manifest.stdout).layers.length, 1);
      ok(await crane(['mozart', DEMO_PASSWORD], 'export', ref('music/symphony', 'v1'), path.join(work, 'mozart-fs.tar')), 'crane export (mozart)');
    });

    test("kant (a philosopher, outside the directory's userdn) is refused by the realm: crane shows our 401", { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const realm = `http://localhost:${new URL(server.url).port}/auth`;
      const pushed = await push(['kant', DEMO_PASSWORD], ref('music/critique', 'v1'));
      const pulled = await crane(['kant', DEMO_PASSWORD], 'manifest', ref('music/symphony', 'v1'));
      for (const result of [pushed, pulled]) t.diagnostic(`crane (kant) said: ${result.stderr.trim()}`);
      assert.deepEqual(
        [pushed.code, lastLine(pushed)],
        [
          1,
          `Error: pushing image ${ref('music/critique', 'v1')}: GET ${realm}?scope=repository%3Amusic%2Fcritique%3Apush%2Cpull&service=registry: ${REALM_REFUSAL}`,
        ],
      );
      assert.deepEqual(
        [pulled.code, lastLine(pulled)],
        [
          1,
          `Error: fetching manifest ${ref('music/symphony', 'v1')}: GET ${realm}?scope=repository%3Amusic%2Fsymphony%3Apull&service=registry: ${REALM_REFUSAL}`,
        ],
      );
    });

    test('carol (userpass, policy registry-musicians) pushes and pulls', { timeout: TEST_TIMEOUT_MS }, async () => {
      ok(await push([CAROL.name, CAROL.password], ref('music/sonata', 'v1')), 'crane append (carol)');
      ok(await crane([CAROL.name, CAROL.password], 'manifest', ref('music/sonata', 'v1')), 'crane manifest (carol)');
    });

    test("a CI job (user ci, its JWT as the password) pushes to its own project, pulls with the role's group, and may not push elsewhere", {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const job: [string, string] = ['ci', await jobToken(CI_PROJECT)];
      ok(await push(job, ref(CI_PROJECT, 'build-1')), 'crane append (ci job)');
      ok(await crane(job, 'manifest', ref(CI_PROJECT, 'build-1')), 'crane manifest (ci job, own project)');
      ok(await crane(job, 'manifest', ref('music/symphony', 'v1')), 'crane manifest (ci job, the group registry-ci)');
      const elsewhere = await push(job, ref('group/other', 'build-1'));
      t.diagnostic(`crane push elsewhere (ci job) said: ${elsewhere.stderr.trim()}`);
      assert.notEqual(elsewhere.code, 0, `a push outside the job's project should be refused:\n${elsewhere.stderr}`);
      const forged: [string, string] = ['ci', `${job[1].slice(0, -4)}AAAA`];
      const refused = await crane(forged, 'manifest', ref(CI_PROJECT, 'build-1'));
      assert.equal(refused.code, 1);
      assert.match(lastLine(refused), new RegExp(`${REALM_REFUSAL}$`, 'u'));
    });

    test('test (KV, pull only) pulls, and is refused a push', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const login: [string, string] = [TEST_USER.name, TEST_USER.password];
      ok(await crane(login, 'manifest', ref('music/symphony', 'v1')), 'crane manifest (test)');
      const pushed = await push(login, ref('music/symphony', 'by-test'));
      t.diagnostic(`crane push (test) said: ${pushed.stderr.trim()}`);
      assert.notEqual(pushed.code, 0, `crane push should be refused:\n${pushed.stderr}`);
      assert.match((await crane(['mozart', DEMO_PASSWORD], 'manifest', ref('music/symphony', 'by-test'))).stderr, /MANIFEST_UNKNOWN/u);
    });
  });

  describe('docker (dockerd)', { skip: rootSkip }, () => {
    /** The daemon, started in the outer before() when root (these tests skip otherwise). */
    const daemon = (): DockerDaemon => docker as DockerDaemon;

    const configDir = async (name: string): Promise<string> => {
      const dir = await mkdtemp(path.join(work, `docker-${name}-`));
      await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: {} }));
      return dir;
    };

    async function stored(dir: string): Promise<Record<string, string>> {
      return (
        (JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { auths?: Record<string, Record<string, string>> }).auths?.[registry.host] ?? {}
      );
    }

    test('mozart logs in (no refresh token: docker keeps the password), pushes and pulls', { timeout: TEST_TIMEOUT_MS }, async () => {
      const dir = await configDir('mozart');
      mozartDocker = dir;
      const login = await daemon().login(registry.host, 'mozart', DEMO_PASSWORD, { configDir: dir });
      ok(login, 'docker login (mozart)');
      assert.match(login.stdout, /Login Succeeded/u);
      // A directory login gets no refresh token, so docker stores the credentials themselves.
      const saved = await stored(dir);
      assert.deepEqual(Object.keys(saved), ['auth']);
      assert.equal(Buffer.from(saved.auth as string, 'base64').toString('utf8'), `mozart:${DEMO_PASSWORD}`);

      const image = ref('music/symphony', 'docker');
      ok(await daemon().importImage(layerTar, image), 'docker import');
      ok(await daemon().docker(['push', image], { configDir: dir }), 'docker push (mozart)');
      ok(await daemon().docker(['image', 'rm', image]), 'docker image rm');
      ok(await daemon().docker(['pull', image], { configDir: dir }), 'docker pull (mozart)');
      const inspected = await daemon().docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', image]);
      ok(inspected, 'docker image inspect');
      assert.equal(inspected.stdout.trim(), '1');
    });

    test('kant: docker login fails with our 401 and stores nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
      const dir = await configDir('kant');
      const login = await daemon().login(registry.host, 'kant', DEMO_PASSWORD, { configDir: dir });
      assert.notEqual(login.code, 0);
      assert.equal(login.stderr.trim(), `Error response from daemon: Get "http://${registry.host}/v2/": unauthorized: invalid username or password`);
      assert.deepEqual(await stored(dir), {});
    });

    test('test (KV, pull only): logs in, pulls, is refused a push', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const dir = await configDir('test');
      ok(await daemon().login(registry.host, TEST_USER.name, TEST_USER.password, { configDir: dir }), 'docker login (test)');
      const image = ref('music/symphony', 'docker');
      await daemon().docker(['image', 'rm', '--force', image]);
      ok(await daemon().docker(['pull', image], { configDir: dir }), 'docker pull (test)');
      const byTest = ref('music/symphony', 'docker-by-test');
      ok(await daemon().docker(['tag', image, byTest]), 'docker tag');
      const pushed = await daemon().docker(['push', byTest], { configDir: dir });
      t.diagnostic(`docker push (test) said: ${pushed.stderr.trim()}`);
      assert.notEqual(pushed.code, 0, `docker push should be refused:\n${pushed.stdout}`);
      // The registry's refusal (the token grants pull only), as docker words it.
      assert.ok(pushed.stderr.split('\n').includes('denied: requested access to the resource is denied'), pushed.stderr);
    });
  });

  describe('taken out of the LDAP group', () => {
    test("mozart's next push is refused once the user cache's TTL has passed (crane, and docker when root)", { timeout: TEST_TIMEOUT_MS }, async (t) => {
      await slapd.removeFromGroup('musicians', `uid=mozart,ou=musicians,${slapd.baseDn}`);
      clock.advance(CACHE_TTL_MS + 1);
      const pushed = await push(['mozart', DEMO_PASSWORD], ref('music/symphony', 'after-removal'));
      t.diagnostic(`crane push (mozart, out of the group) said: ${pushed.stderr.trim()}`);
      // The registry's 401 (the token holds no push), not the realm's: his login itself still works.
      assert.deepEqual(
        [pushed.code, lastLine(pushed)],
        [
          1,
          `Error: pushing image ${ref('music/symphony', 'after-removal')}: HEAD http://${registry.host}/v2/music/symphony/manifests/after-removal: unexpected status code 401 Unauthorized (HEAD responses have no body, use GET for details)`,
        ],
      );
      // No pull either: the token's access is empty.
      const manifest = await crane(['mozart', DEMO_PASSWORD], 'manifest', ref('music/symphony', 'v1'));
      t.diagnostic(`crane manifest (mozart, out of the group) said: ${manifest.stderr.trim()}`);
      assert.deepEqual(
        [manifest.code, lastLine(manifest)],
        [
          1,
          `Error: fetching manifest ${ref('music/symphony', 'v1')}: GET http://${registry.host}/v2/music/symphony/manifests/v1: UNAUTHORIZED: authentication required; [map[Action:pull Class: Name:music/symphony Type:repository]]`,
        ],
      );
      if (docker === undefined) return; // not root: the docker tests skipped
      // docker, with the login it stored when mozart could still push.
      const image = ref('music/symphony', 'docker-after-removal');
      ok(await docker.importImage(layerTar, image), 'docker import');
      const dockerPush = await docker.docker(['push', image], { configDir: mozartDocker });
      t.diagnostic(`docker push (mozart, out of the group) said: ${dockerPush.stderr.trim()}`);
      assert.deepEqual([dockerPush.code, dockerPush.stderr.trim()], [1, 'denied: requested access to the resource is denied']);
    });
  });
});
