/**
 * The client matrix, end to end: a real Vault holds the users (a KV v1
 * mount, hashed passwords only, so that refresh tokens are issued), our
 * server issues the tokens (its user cache on a ManualClock), and the real
 * distribution registry (v3) verifies them. Each client pushes and pulls
 * where the user may, and is refused where not (a pull-only user's push):
 *
 * - oras, with --username/--password and after `oras login`;
 * - helm: `helm registry login` (the OAuth2 POST password grant, forced),
 *   then `helm push` and `helm pull` of a chart made by `helm create`;
 * - containerd's ctr, which asks with the POST password grant first: it
 *   must succeed, with no fallback to GET;
 * - the docker CLI with a dockerd of the test's own: `docker login` receives
 *   a refresh token and keeps it as the identitytoken (no password); every
 *   later push and pull asks with the POST refresh grant; a password change
 *   in Vault makes it refused (once the cache TTL has passed) until the next
 *   `docker login`;
 * - anonymous pulls of library/** (services[].anonymous) with crane and
 *   docker; wrong credentials are refused, never downgraded to anonymous.
 *
 * The registry's realm is a recording proxy in front of our server
 * (test/helpers/realm-recorder.ts): what each client sent (grant type,
 * client_id, scopes; never a secret) goes out as test diagnostics next to
 * our access log's lines.
 *
 * containerd and dockerd need root: their tests skip with a message when not
 * root (a failure under CI=true, like a missing peer).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../src/passwords/hash.js';
import { ManualClock } from '../helpers/clock.js';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { DockerDaemon } from '../helpers/docker-daemon.js';
import { requirePeers, requireRoot } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import {
  type AccessLogEntry,
  accessLog,
  formatAccessLogEntry,
  formatRealmRequest,
  grantOf,
  RealmRecorder,
  type RealmRequest,
} from '../helpers/realm-recorder.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { claimsOf, startTestServer, type TestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'registry', 'crane', 'oras', 'helm', 'containerd', 'ctr', 'dockerd', 'docker');
const rootSkip = peers.skip ? false : requireRoot('containerd and dockerd');

const ISSUER = 'vra-clients';
/** The user cache's TTL (the default): the clock is moved past it instead of waiting. */
const CACHE_TTL_MS = 30_000;
/** Every command is bounded; a client that hangs fails its test, never the run. */
const COMMAND_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;
const HOOK_TIMEOUT_MS = 120_000;

/** The users, all with hashed passwords (argon2id and bcrypt): plaintext ones never get a refresh token. */
const USERS = {
  pusher: { password: 'pusher-Secret', hash: 'argon2id', access: 'repository:team/**:*;repository:library/**:*' },
  puller: { password: 'puller-Secret', hash: 'bcrypt', access: 'repository:team/**:pull' },
  keeper: { password: 'keeper-Secret', hash: 'bcrypt', access: 'repository:team/**:*' },
  rotator: { password: 'rotator-Secret', hash: 'argon2id', access: 'repository:team/**:*' },
} as const;
type User = keyof typeof USERS;

/** The image's platform: ctr and docker pull the one of this machine. */
const PLATFORM = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** A client's failure that is the registry's or the realm's refusal. */
const refused = (result: RunResult): boolean =>
  result.code !== 0 && /UNAUTHORIZED|DENIED|unauthorized|denied|forbidden|insufficient_scope|\b401\b|\b403\b/u.test(result.stderr + result.stdout);

const ok = (result: RunResult, what: string): void => assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);

const isRefused = (result: RunResult, what: string): void =>
  assert.ok(refused(result), `${what} should be refused (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);

/** A user and password, a user and identity token (what `docker login` leaves when it got a refresh token), or none. */
type CraneCredentials = [string, string] | { readonly user: string; readonly identitytoken: string } | null;

/** What one step sent to the realm (the proxy's view) and what our access log wrote meanwhile. */
interface Seen {
  sent: RealmRequest[];
  logged: AccessLogEntry[];
}

describe('the client matrix (oras, helm, ctr, docker, anonymous crane) against the real Vault, our server and the real registry', { skip: peers.skip }, () => {
  const clock = new ManualClock();
  let vault: VaultServer;
  let server: TestServer;
  let recorder: RealmRecorder;
  let registry: RegistryServer;
  let work: string;
  let layerTar: string;
  /** A small image for linux on this machine's architecture, pushed by crane. */
  let seed: string;
  /** The same image in library/, which anyone may pull. */
  let publicImage: string;

  const ref = (repository: string, tag: string): string => `${registry.host}/${repository}:${tag}`;

  async function putUser(user: string, password: string, hash: 'argon2id' | 'bcrypt', access: string): Promise<void> {
    // Written the way the README shows, with plain `vault write`.
    await vault.cliOk('write', `registry/${user}`, `password=${await hashPassword(password, hash)}`, `access=${access}`);
  }

  /** crane with a docker config of its own holding `credentials` (null: no credentials at all). */
  async function crane(credentials: CraneCredentials, ...args: string[]): Promise<RunResult> {
    const dockerConfig = await mkdtemp(path.join(work, 'crane-'));
    let auths = {};
    if (Array.isArray(credentials)) auths = { [registry.host]: { auth: Buffer.from(credentials.join(':')).toString('base64') } };
    else if (credentials)
      auths = { [registry.host]: { auth: Buffer.from(`${credentials.user}:`).toString('base64'), identitytoken: credentials.identitytoken } };
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths }));
    return run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: dockerConfig, HOME: dockerConfig }, timeoutMs: COMMAND_TIMEOUT_MS });
  }

  const login = (user: User): [string, string] => [user, USERS[user].password];

  before(
    async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'vra-clients-'));
      vault = await VaultServer.start(peers.paths.vault);
      await vault.enableKv('registry', 1);
      await Promise.all(Object.entries(USERS).map(([user, { password, hash, access }]) => putUser(user, password, hash, access)));

      server = await startTestServer(
        {
          storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN } },
          services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }],
          token: { issuer: ISSUER },
        },
        { clock },
      );
      recorder = await RealmRecorder.start(new URL(server.url));
      registry = await RegistryServer.start(peers.paths.registry, {
        realm: `http://localhost:${recorder.port}/auth`,
        service: 'registry',
        issuer: ISSUER,
        rootCertBundle: server.certificatePath,
      });

      const layerDir = path.join(work, 'layer');
      await mkdir(layerDir);
      await writeFile(path.join(layerDir, 'hello.txt'), 'hello from vault-registry-auth\n');
      layerTar = path.join(work, 'layer.tar');
      ok(await run('tar', ['-cf', layerTar, '-C', layerDir, 'hello.txt'], { timeoutMs: 30_000 }), 'tar');

      seed = ref('team/app', 'seed');
      publicImage = ref('library/hello', 'latest');
      ok(await crane(login('pusher'), 'append', '--new_layer', layerTar, '--new_tag', seed), 'crane append');
      ok(await crane(login('pusher'), 'mutate', '--set-platform', PLATFORM, '--tag', seed, seed), 'crane mutate');
      ok(await crane(login('pusher'), 'copy', seed, publicImage), 'crane copy');
      recorder.take();
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  after(
    async () => {
      await registry?.stop();
      await recorder?.close();
      await server?.close();
      await vault?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  /**
   * Runs `steps`; then reports what the client sent to the realm and what our
   * access log wrote meanwhile as diagnostics (also when a step failed).
   */
  async function watch(t: TestContext, label: string, steps: () => Promise<void>): Promise<Seen> {
    recorder.take();
    const from = server.logs().length;
    const seen: Seen = { sent: [], logged: [] };
    try {
      await steps();
    } finally {
      seen.sent = recorder.take();
      seen.logged = accessLog(server, from);
      t.diagnostic(`${label}: ${seen.sent.map((request) => `${grantOf(request)} → ${request.status}`).join(', ') || 'no token request'}`);
      for (const request of seen.sent) t.diagnostic(`  ${formatRealmRequest(request)}`);
      t.diagnostic(`  access log: ${seen.logged.map(formatAccessLogEntry).join(', ') || 'nothing'}`);
    }
    return seen;
  }

  /** Every token request of `seen` was `grant` and answered `status`, and our access log agrees (method, status, account). */
  function allAsked(seen: Seen, grant: string, status: number, account: string | undefined): void {
    assert.ok(seen.sent.length > 0, 'no token request was made');
    assert.deepEqual(
      seen.sent.map((request) => `${grantOf(request).replace(/ \+offline$/u, '')} → ${request.status}`),
      seen.sent.map(() => `${grant} → ${status}`),
    );
    const method = grant.split(' ')[0];
    assert.deepEqual(
      seen.logged.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.account ?? '(anonymous)'}`),
      seen.sent.map(() => `${method} /auth ${status} ${account ?? '(anonymous)'}`),
    );
  }

  describe('oras', () => {
    test('oras pushes and pulls with --username/--password; a pull-only user pulls and is refused a push', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const dir = await mkdtemp(path.join(work, 'oras-'));
      const oras = (user: User, ...args: string[]): Promise<RunResult> =>
        run(
          peers.paths.oras,
          [...args, '--plain-http', '--username', user, '--password', USERS[user].password, '--registry-config', path.join(dir, 'auth.json')],
          { cwd: dir, env: { HOME: dir, DOCKER_CONFIG: dir }, timeoutMs: COMMAND_TIMEOUT_MS },
        );
      await writeFile(path.join(dir, 'artifact.txt'), 'an oras artifact\n');
      const artifact = ref('team/oras', 'v1');
      const pushing = await watch(t, 'oras push (pusher)', async () => ok(await oras('pusher', 'push', artifact, 'artifact.txt:text/plain'), 'oras push'));
      allAsked(pushing, 'GET Basic pusher', 200, 'pusher');
      await watch(t, 'oras pull (pusher)', async () => ok(await oras('pusher', 'pull', '--output', path.join(dir, 'by-pusher'), artifact), 'oras pull'));
      assert.equal(await readFile(path.join(dir, 'by-pusher', 'artifact.txt'), 'utf8'), 'an oras artifact\n');

      await watch(t, 'oras pull (puller)', async () => ok(await oras('puller', 'pull', '--output', path.join(dir, 'by-puller'), artifact), 'oras pull'));
      assert.equal(await readFile(path.join(dir, 'by-puller', 'artifact.txt'), 'utf8'), 'an oras artifact\n');
      await watch(t, 'oras push (puller)', async () =>
        isRefused(await oras('puller', 'push', ref('team/oras', 'by-puller'), 'artifact.txt:text/plain'), 'oras push'),
      );
    });

    test('oras login, then push and pull with the stored credentials; a pull-only user logged in is refused a push', {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const dir = await mkdtemp(path.join(work, 'oras-login-'));
      const oras = (config: string, args: string[], input?: string): Promise<RunResult> =>
        run('sh', ['-c', input === undefined ? '"$@"' : 'printf %s "$ORAS_INPUT" | "$@"', 'oras', peers.paths.oras, ...args, '--registry-config', config], {
          cwd: dir,
          env: { HOME: dir, DOCKER_CONFIG: dir, ORAS_INPUT: input ?? '' },
          timeoutMs: COMMAND_TIMEOUT_MS,
        });
      const configs = { pusher: path.join(dir, 'pusher.json'), puller: path.join(dir, 'puller.json') };
      for (const user of ['pusher', 'puller'] as const) {
        await watch(t, `oras login (${user})`, async () =>
          ok(await oras(configs[user], ['login', '--plain-http', '--username', user, '--password-stdin', registry.host], USERS[user].password), 'oras login'),
        );
      }
      const stored = JSON.parse(await readFile(configs.pusher, 'utf8')) as { auths?: Record<string, Record<string, unknown>> };
      t.diagnostic(`oras login stored: ${Object.keys(stored.auths?.[registry.host] ?? {}).join(', ') || 'nothing'}`);

      await writeFile(path.join(dir, 'artifact.txt'), 'logged in\n');
      const artifact = ref('team/oras', 'logged-in');
      await watch(t, 'oras push (pusher, logged in)', async () =>
        ok(await oras(configs.pusher, ['push', '--plain-http', artifact, 'artifact.txt:text/plain']), 'oras push'),
      );
      await watch(t, 'oras pull (pusher, logged in)', async () =>
        ok(await oras(configs.pusher, ['pull', '--plain-http', '--output', path.join(dir, 'by-pusher'), artifact]), 'oras pull'),
      );
      assert.equal(await readFile(path.join(dir, 'by-pusher', 'artifact.txt'), 'utf8'), 'logged in\n');
      await watch(t, 'oras pull (puller, logged in)', async () =>
        ok(await oras(configs.puller, ['pull', '--plain-http', '--output', path.join(dir, 'by-puller'), artifact]), 'oras pull'),
      );
      assert.equal(await readFile(path.join(dir, 'by-puller', 'artifact.txt'), 'utf8'), 'logged in\n');
      await watch(t, 'oras push (puller, logged in)', async () =>
        isRefused(await oras(configs.puller, ['push', '--plain-http', ref('team/oras', 'by-puller'), 'artifact.txt:text/plain']), 'oras push'),
      );
    });
  });

  describe('helm', () => {
    let dir: string;
    let chart: string;
    const helm = (registryConfig: string, args: string[], input?: string): Promise<RunResult> =>
      run('sh', ['-c', input === undefined ? '"$@"' : 'printf %s "$VRA_INPUT" | "$@"', 'helm', peers.paths.helm, ...args], {
        cwd: dir,
        env: {
          VRA_INPUT: input ?? '',
          HOME: dir,
          HELM_CONFIG_HOME: path.join(dir, 'config'),
          HELM_CACHE_HOME: path.join(dir, 'cache'),
          HELM_DATA_HOME: path.join(dir, 'data'),
          HELM_REGISTRY_CONFIG: registryConfig,
        },
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
    const registryLogin = (config: string, user: string, password: string): Promise<RunResult> =>
      helm(config, ['registry', 'login', registry.host, '--plain-http', '--username', user, '--password-stdin'], password);
    const pull = (config: string, into: string): Promise<RunResult> =>
      helm(config, ['pull', `oci://${registry.host}/team/charts/demo`, '--version', '0.1.0', '--plain-http', '--destination', into]);

    before(
      async () => {
        dir = await mkdtemp(path.join(work, 'helm-'));
        const none = path.join(dir, 'none.json');
        ok(await helm(none, ['create', 'demo']), 'helm create');
        ok(await helm(none, ['package', 'demo', '--destination', dir]), 'helm package');
        chart = path.join(dir, 'demo-0.1.0.tgz');
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    test('helm registry login asks with the POST password grant; helm push and helm pull of a chart with the stored login', {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const config = path.join(dir, 'pusher.json');
      const loggingIn = await watch(t, 'helm registry login (pusher)', async () =>
        ok(await registryLogin(config, 'pusher', USERS.pusher.password), 'helm registry login'),
      );
      allAsked(loggingIn, 'POST password', 200, 'pusher');
      assert.deepEqual(loggingIn.sent[0]?.form?.username, ['pusher']);

      await watch(t, 'helm push (pusher)', async () =>
        ok(await helm(config, ['push', chart, `oci://${registry.host}/team/charts`, '--plain-http']), 'helm push'),
      );
      const into = path.join(dir, 'by-pusher');
      await mkdir(into);
      await watch(t, 'helm pull (pusher)', async () => ok(await pull(config, into), 'helm pull'));
      assert.deepEqual(await readFile(path.join(into, 'demo-0.1.0.tgz')), await readFile(chart));
    });

    test('helm as a pull-only user: logs in, pulls the chart, is refused a push; a wrong password is refused at login', {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const config = path.join(dir, 'puller.json');
      const loggingIn = await watch(t, 'helm registry login (puller)', async () =>
        ok(await registryLogin(config, 'puller', USERS.puller.password), 'helm registry login'),
      );
      allAsked(loggingIn, 'POST password', 200, 'puller');
      const into = path.join(dir, 'by-puller');
      await mkdir(into);
      await watch(t, 'helm pull (puller)', async () => ok(await pull(config, into), 'helm pull'));
      assert.deepEqual(await readFile(path.join(into, 'demo-0.1.0.tgz')), await readFile(chart));
      await watch(t, 'helm push (puller)', async () =>
        isRefused(await helm(config, ['push', chart, `oci://${registry.host}/team/puller-charts`, '--plain-http']), 'helm push'),
      );

      const wrong = await watch(t, 'helm registry login (puller, wrong password)', async () =>
        isRefused(await registryLogin(path.join(dir, 'wrong.json'), 'puller', 'not-the-password'), 'helm registry login'),
      );
      assert.ok(
        wrong.logged.every((entry) => entry.status === 401 && entry.account === undefined),
        wrong.logged.map(formatAccessLogEntry).join(', '),
      );
    });
  });

  describe('containerd (ctr)', { skip: rootSkip }, () => {
    let containerd: ContainerdDaemon;

    before(
      async () => {
        containerd = await ContainerdDaemon.start(peers.paths, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    after(
      async () => {
        await containerd?.stop();
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    test('ctr pulls and pushes with --user through the OAuth2 POST password grant (no GET fallback); a pull-only user is refused a push', {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const creds = (user: User): string => `${user}:${USERS[user].password}`;
      const pushed = ref('team/app', 'ctr');

      const pulling = await watch(t, 'ctr pull (pusher)', async () =>
        ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds('pusher'), seed]), 'ctr pull'),
      );
      allAsked(pulling, 'POST password', 200, 'pusher');
      assert.deepEqual(pulling.sent[0]?.form?.username, ['pusher']);
      ok(await containerd.ctr(['images', 'tag', seed, pushed]), 'ctr images tag');
      const pushing = await watch(t, 'ctr push (pusher)', async () =>
        ok(await containerd.ctr(['images', 'push', '--plain-http', '--user', creds('pusher'), pushed]), 'ctr push'),
      );
      allAsked(pushing, 'POST password', 200, 'pusher');
      assert.ok(
        pushing.logged.some((entry) => entry.granted.includes('repository:team/app:pull,push')),
        pushing.logged.map(formatAccessLogEntry).join(', '),
      );
      ok(await containerd.ctr(['images', 'rm', pushed, seed]), 'ctr images rm');
      const again = await watch(t, 'ctr pull what it pushed (pusher)', async () =>
        ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds('pusher'), pushed]), 'ctr pull'),
      );
      allAsked(again, 'POST password', 200, 'pusher');

      const pullerPulling = await watch(t, 'ctr pull (puller)', async () =>
        ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds('puller'), seed]), 'ctr pull'),
      );
      allAsked(pullerPulling, 'POST password', 200, 'puller');
      const byPuller = ref('team/app', 'ctr-puller');
      ok(await containerd.ctr(['images', 'tag', seed, byPuller]), 'ctr images tag');
      const refusedPush = await watch(t, 'ctr push (puller)', async () =>
        isRefused(await containerd.ctr(['images', 'push', '--plain-http', '--user', creds('puller'), byPuller]), 'ctr push'),
      );
      // The token request itself succeeds: the token grants pull only, and the registry refuses the push.
      assert.ok(refusedPush.sent.length > 0);
      assert.ok(refusedPush.sent.every((request) => grantOf(request) === 'POST password' && request.status === 200));
      assert.ok(
        refusedPush.logged.every((entry) => entry.account === 'puller' && entry.granted.every((scope) => !scope.includes('push'))),
        refusedPush.logged.map(formatAccessLogEntry).join(', '),
      );
      const listed = await containerd.ctr(['images', 'ls', '-q']);
      ok(listed, 'ctr images ls');
      assert.deepEqual(listed.stdout.trim().split('\n').sort(), [byPuller, pushed, seed].sort());
    });
  });

  describe('docker (dockerd)', { skip: rootSkip }, () => {
    let docker: DockerDaemon;

    before(
      async () => {
        docker = await DockerDaemon.start(peers.paths, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    after(
      async () => {
        await docker?.stop();
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    interface Stored {
      readonly auth?: string;
      readonly identitytoken?: string;
      readonly password?: string;
    }

    async function storedLogin(configDir: string): Promise<Stored> {
      const config = JSON.parse(await readFile(path.join(configDir, 'config.json'), 'utf8')) as { auths?: Record<string, Stored> };
      return config.auths?.[registry.host] ?? {};
    }

    /** `docker login` as `user` into a config folder of its own; asserts it received a refresh token, kept as identitytoken without the password. */
    async function loginKeepingRefreshToken(t: TestContext, user: User, password: string, configDir: string): Promise<string> {
      const loggingIn = await watch(t, `docker login (${user})`, async () => {
        const result = await docker.login(registry.host, user, password, { configDir });
        ok(result, 'docker login');
        assert.match(result.stdout, /Login Succeeded/u);
      });
      // docker asks for a refresh token at login (GET offline_token=true, or POST access_type=offline).
      assert.ok(
        loggingIn.sent.some((request) => grantOf(request).endsWith('+offline') && request.status === 200),
        loggingIn.sent.map(formatRealmRequest).join('\n'),
      );
      const stored = await storedLogin(configDir);
      t.diagnostic(`docker login (${user}) stored: ${Object.keys(stored).join(', ') || 'nothing'}`);
      assert.equal(typeof stored.identitytoken, 'string', 'docker stored no identitytoken');
      const identityToken = stored.identitytoken as string;
      assert.equal(claimsOf(identityToken).sub, user);
      assert.equal(stored.password, undefined);
      assert.equal(Buffer.from(stored.auth ?? '', 'base64').toString('utf8'), `${user}:`, 'docker kept the password next to the identitytoken');
      assert.ok(!(await readFile(path.join(configDir, 'config.json'), 'utf8')).includes(password), 'the password is in the docker config');
      return identityToken;
    }

    test('docker login keeps the refresh token as identitytoken (no password); push and pull then ask with the POST refresh grant', {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const configDir = await mkdtemp(path.join(work, 'docker-keeper-'));
      await loginKeepingRefreshToken(t, 'keeper', USERS.keeper.password, configDir);

      const image = ref('team/app', 'docker-keeper');
      ok(await docker.importImage(layerTar, image), 'docker import');
      const pushing = await watch(t, 'docker push (keeper)', async () => ok(await docker.docker(['push', image], { configDir }), 'docker push'));
      allAsked(pushing, 'POST refresh_token', 200, 'keeper');
      assert.ok(pushing.sent.every((request) => request.form?.client_id?.[0] === 'docker'));
      ok(await docker.docker(['image', 'rm', image], { configDir }), 'docker image rm');
      const pulling = await watch(t, 'docker pull (keeper)', async () => ok(await docker.docker(['pull', image], { configDir }), 'docker pull'));
      allAsked(pulling, 'POST refresh_token', 200, 'keeper');
      const inspected = await docker.docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', image]);
      ok(inspected, 'docker image inspect');
      assert.equal(inspected.stdout.trim(), '1');
      ok(await docker.docker(['image', 'rm', image]), 'docker image rm');
    });

    test("after a password change in Vault and the cache TTL, docker's identity token is refused until a new docker login", {
      timeout: TEST_TIMEOUT_MS,
    }, async (t) => {
      const configDir = await mkdtemp(path.join(work, 'docker-rotator-'));
      const firstToken = await loginKeepingRefreshToken(t, 'rotator', USERS.rotator.password, configDir);
      const pullSeed = async (): Promise<RunResult> => {
        await docker.docker(['image', 'rm', '--force', seed]);
        return docker.docker(['pull', seed], { configDir });
      };
      allAsked(await watch(t, 'docker pull (rotator)', async () => ok(await pullSeed(), 'docker pull')), 'POST refresh_token', 200, 'rotator');

      const newPassword = 'rotator-Changed';
      await putUser('rotator', newPassword, 'argon2id', USERS.rotator.access);
      // Within the TTL the server still has the old entry: the token still works (README, "How long a revoked user can still get tokens").
      allAsked(
        await watch(t, 'docker pull (rotator, password changed, cache fresh)', async () => ok(await pullSeed(), 'docker pull')),
        'POST refresh_token',
        200,
        'rotator',
      );

      clock.advance(CACHE_TTL_MS);
      const stale = await watch(t, 'docker pull (rotator, password changed, cache expired)', async () => {
        const result = await pullSeed();
        t.diagnostic(`  docker pull said: ${result.stderr.trim()}`);
        assert.notEqual(result.code, 0, 'the pull should fail');
        assert.match(result.stderr + result.stdout, /unauthorized/iu);
      });
      allAsked(stale, 'POST refresh_token', 401, undefined);
      assert.equal((await storedLogin(configDir)).identitytoken, firstToken);

      const oldPassword = await watch(t, 'docker login (rotator, old password)', async () =>
        isRefused(await docker.login(registry.host, 'rotator', USERS.rotator.password, { configDir }), 'docker login'),
      );
      assert.ok(oldPassword.logged.every((entry) => entry.status === 401));
      const secondToken = await loginKeepingRefreshToken(t, 'rotator', newPassword, configDir);
      assert.notEqual(secondToken, firstToken);
      allAsked(await watch(t, 'docker pull (rotator, logged in again)', async () => ok(await pullSeed(), 'docker pull')), 'POST refresh_token', 200, 'rotator');
    });

    test('docker as a pull-only user: pulls, is refused a push; a wrong password is refused at login', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const configDir = await mkdtemp(path.join(work, 'docker-puller-'));
      await loginKeepingRefreshToken(t, 'puller', USERS.puller.password, configDir);
      await docker.docker(['image', 'rm', '--force', seed]);
      allAsked(
        await watch(t, 'docker pull (puller)', async () => ok(await docker.docker(['pull', seed], { configDir }), 'docker pull')),
        'POST refresh_token',
        200,
        'puller',
      );
      const byPuller = ref('team/app', 'docker-puller');
      ok(await docker.docker(['tag', seed, byPuller]), 'docker tag');
      const pushing = await watch(t, 'docker push (puller)', async () => isRefused(await docker.docker(['push', byPuller], { configDir }), 'docker push'));
      assert.ok(
        pushing.logged.length > 0 && pushing.logged.every((entry) => entry.account === 'puller' && entry.granted.every((scope) => !scope.includes('push'))),
        pushing.logged.map(formatAccessLogEntry).join(', '),
      );

      const wrongDir = await mkdtemp(path.join(work, 'docker-wrong-'));
      await writeFile(path.join(wrongDir, 'config.json'), JSON.stringify({ auths: {} }));
      const wrong = await watch(t, 'docker login (puller, wrong password)', async () =>
        isRefused(await docker.login(registry.host, 'puller', 'not-the-password', { configDir: wrongDir }), 'docker login'),
      );
      assert.ok(wrong.logged.length > 0 && wrong.logged.every((entry) => entry.status === 401 && entry.account === undefined));
      assert.equal((await storedLogin(wrongDir)).auth, undefined);
    });

    test('docker without a login pulls library/… anonymously, and is refused a pull of team/…', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const configDir = await mkdtemp(path.join(work, 'docker-anonymous-'));
      await writeFile(path.join(configDir, 'config.json'), JSON.stringify({ auths: {} }));
      await docker.docker(['image', 'rm', '--force', publicImage, seed]);
      const pulling = await watch(t, 'docker pull library/hello (anonymous)', async () =>
        ok(await docker.docker(['pull', publicImage], { configDir }), 'docker pull'),
      );
      allAsked(pulling, 'GET anonymous', 200, undefined);
      assert.deepEqual(
        pulling.logged.map((entry) => entry.granted),
        pulling.logged.map(() => ['repository:library/hello:pull']),
      );
      await watch(t, 'docker pull team/app (anonymous)', async () => isRefused(await docker.docker(['pull', seed], { configDir }), 'docker pull'));
    });
  });

  describe('anonymous pull (services[].anonymous: repository:library/**:pull), with crane', () => {
    test('without credentials crane pulls library/…, and is refused a push there and a pull of team/…', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const pulling = await watch(t, 'crane pull library/hello (anonymous)', async () =>
        ok(await crane(null, 'pull', publicImage, path.join(work, 'anonymous.tar')), 'crane pull'),
      );
      allAsked(pulling, 'GET anonymous', 200, undefined);
      assert.deepEqual(
        pulling.logged.map((entry) => entry.granted),
        pulling.logged.map(() => ['repository:library/hello:pull']),
      );
      const pushing = await watch(t, 'crane push library/hello (anonymous)', async () =>
        isRefused(await crane(null, 'append', '--new_layer', layerTar, '--new_tag', ref('library/hello', 'anonymous')), 'crane push'),
      );
      assert.ok(pushing.logged.every((entry) => entry.granted.every((scope) => !scope.includes('push'))));
      const elsewhere = await watch(t, 'crane pull team/app (anonymous)', async () => isRefused(await crane(null, 'manifest', seed), 'crane manifest'));
      assert.ok(elsewhere.logged.every((entry) => entry.granted.length === 0));
    });

    test('wrong credentials are refused, never downgraded to anonymous access', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const attempts: [string, CraneCredentials][] = [
        ['a wrong password', ['puller', 'not-the-password']],
        ['an unknown user', ['nobody', 'whatever']],
        ['an identity token that is not ours', { user: 'puller', identitytoken: 'not-a-refresh-token' }],
      ];
      for (const [label, credentials] of attempts) {
        const seen = await watch(t, `crane pull library/hello (${label})`, async () =>
          isRefused(await crane(credentials, 'manifest', publicImage), 'crane manifest'),
        );
        assert.ok(seen.logged.length > 0);
        assert.ok(
          seen.logged.every((entry) => entry.status === 401 && entry.granted.length === 0),
          seen.logged.map(formatAccessLogEntry).join(', '),
        );
      }
    });
  });
});
