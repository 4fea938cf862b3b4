/**
 * Smoke test of the next end-to-end client matrix ("docker login that stays
 * logged in"): oras, docker (dockerd), helm and containerd's ctr against the
 * real distribution registry, whose token auth points at our server (the
 * file user store; a plaintext password, which never gets a refresh token,
 * and one bcrypt hash for docker's login-with-refresh-token case).
 *
 * Each test shows whether the client works with our server, and records
 * what the client sent to the realm: a recording proxy sits between the
 * clients and our server, and our access log (server.logs()) gives the same
 * method/path/status sequence. What it recorded goes out as test
 * diagnostics: method, path, content type, query and form fields, the
 * Authorization scheme and user, never a password or a token.
 *
 * A server without the OAuth2 POST grant answers GET on the realm only (a
 * POST is a 405), as ours did before that grant. So that the GET flow stays
 * covered whether or not the server takes POST, the proxy can also play a
 * GET-only server (`getOnly`): it answers every POST with that 405 itself
 * and passes the rest on. The clients that POST first (containerd, helm's
 * login) are run that way too, and must fall back to GET.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import yaml from 'js-yaml';
import { ContainerdDaemon } from '../helpers/containerd-daemon.js';
import { DockerDaemon } from '../helpers/docker-daemon.js';
import { requirePeers, requireRoot } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { RegistryServer } from '../helpers/registry-server.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';

const peers = requirePeers('registry', 'crane', 'oras', 'helm', 'containerd', 'ctr', 'dockerd', 'docker');
const rootSkip = peers.skip ? false : requireRoot('containerd and dockerd');

const USER = 'pusher';
const PASSWORD = 'pusher-Secret';
/** A user whose password is stored as a bcrypt hash: only such users may get a refresh token (plaintext ones never do). */
const HASHED_USER = 'keeper';
const HASHED_PASSWORD = 'keeper-Secret';
/** Every command is bounded; a client that hangs fails its test, never the run. */
const COMMAND_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 300_000;
const HOOK_TIMEOUT_MS = 180_000;

/** What a client sent to the realm, secrets left out. */
interface RealmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly contentType: string | undefined;
  readonly form: Record<string, string[]> | undefined;
  /** `Basic <user>`, `Bearer`, or undefined. */
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
  status: number;
}

const SECRET_FIELDS = new Set(['password', 'refresh_token', 'token', 'access_token', 'client_secret']);

function fields(params: URLSearchParams): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [key, value] of params) {
    const shown = SECRET_FIELDS.has(key) ? `<${value.length} chars>` : value;
    found[key] = [...(found[key] ?? []), shown];
  }
  return found;
}

function describeAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.split(' ');
  if (scheme.toLowerCase() !== 'basic') return scheme;
  const user = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return `Basic ${user}`;
}

/**
 * A reverse proxy in front of our server that records each realm request.
 * The registry's realm points here.
 */
class RealmRecorder {
  readonly port: number;
  /** Answer every POST with 405 (Allow: HEAD, GET), as a server without the POST grant does. */
  getOnly = false;
  readonly #log: { requests: RealmRequest[] };
  readonly #server: http.Server;

  private constructor(server: http.Server, port: number, log: { requests: RealmRequest[] }) {
    this.#server = server;
    this.port = port;
    this.#log = log;
  }

  static async start(target: URL): Promise<RealmRecorder> {
    const log = { requests: [] as RealmRequest[] };
    let recorder: RealmRecorder | undefined;
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(request.url ?? '/', 'http://realm');
        const contentType = request.headers['content-type'];
        const seen: RealmRequest = {
          method: request.method ?? '?',
          path: url.pathname,
          query: fields(url.searchParams),
          contentType,
          form: contentType?.startsWith('application/x-www-form-urlencoded') ? fields(new URLSearchParams(body.toString('utf8'))) : undefined,
          authorization: describeAuthorization(request.headers.authorization),
          userAgent: request.headers['user-agent'],
          status: 0,
        };
        log.requests.push(seen);
        if (recorder?.getOnly && request.method === 'POST') {
          seen.status = 405;
          response.writeHead(405, { 'content-type': 'application/json; charset=utf-8', allow: 'HEAD, GET' });
          response.end(JSON.stringify({ errors: [{ code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed here' }] }));
          return;
        }
        const headers = { ...request.headers, host: target.host };
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, timeout: 30_000 },
          (answer) => {
            seen.status = answer.statusCode ?? 0;
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
        upstream.on('error', () => {
          seen.status = 502;
          if (!response.headersSent) response.writeHead(502);
          response.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    recorder = new RealmRecorder(server, (server.address() as AddressInfo).port, log);
    return recorder;
  }

  /** The requests recorded since the last take(), and forgets them. */
  take(): RealmRequest[] {
    const taken = this.#log.requests;
    this.#log.requests = [];
    return taken;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function formatRequest(request: RealmRequest): string {
  const parts = [`${request.method} ${request.path} → ${request.status}`];
  if (request.contentType) parts.push(`content-type: ${request.contentType}`);
  const show = (values: Record<string, string[]>): string =>
    Object.entries(values)
      .map(([key, list]) => list.map((value) => `${key}=${value}`).join(' '))
      .join(' ');
  if (Object.keys(request.query).length > 0) parts.push(`query: ${show(request.query)}`);
  if (request.form) parts.push(`form: ${show(request.form)}`);
  parts.push(`authorization: ${request.authorization ?? 'none'}`);
  if (request.userAgent) parts.push(`user-agent: ${request.userAgent}`);
  return parts.join('; ');
}

/** Our access log's request lines (method, path, status) written since `from` characters. */
function accessLog(server: TestServer, from: number): { method: string; path: string; status: number }[] {
  return server
    .logs()
    .slice(from)
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { message?: string; method?: string; path?: string; status?: number }];
      } catch {
        return [];
      }
    })
    .filter((entry) => entry.message === 'request')
    .map((entry) => ({ method: entry.method ?? '?', path: entry.path ?? '?', status: entry.status ?? 0 }));
}

describe('the next end-to-end clients (oras, helm, ctr, docker) against the real registry and our server', { skip: peers.skip }, () => {
  let server: TestServer;
  let recorder: RealmRecorder;
  let registry: RegistryServer;
  let work: string;
  let layerTar: string;

  before(
    async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'vra-clients-'));
      const usersFile = path.join(work, 'users.yml');
      await writeFile(
        usersFile,
        yaml.dump({
          registry: {
            [USER]: { password: PASSWORD, access: 'repository:team/**:*' },
            [HASHED_USER]: { password: await bcryptHash(HASHED_PASSWORD, 10), access: 'repository:team/**:*' },
          },
        }),
      );
      server = await startTestServer({ storage: { file: { path: usersFile } }, services: [{ name: 'registry' }], token: { issuer: 'vra-clients' } });
      recorder = await RealmRecorder.start(new URL(server.url));
      registry = await RegistryServer.start(peers.paths.registry, {
        realm: `http://localhost:${recorder.port}/auth`,
        service: 'registry',
        issuer: 'vra-clients',
        rootCertBundle: server.certificatePath,
      });

      const layerDir = path.join(work, 'layer');
      await mkdir(layerDir);
      await writeFile(path.join(layerDir, 'hello.txt'), 'hello from vault-registry-auth\n');
      layerTar = path.join(work, 'layer.tar');
      const tar = await run('tar', ['-cf', layerTar, '-C', layerDir, 'hello.txt'], { timeoutMs: 30_000 });
      assert.equal(tar.code, 0, tar.stderr);

      // The image ctr pulls: pushed by crane (a GET client, known to work), for linux/amd64.
      const craneConfig = path.join(work, 'crane');
      await mkdir(craneConfig);
      await writeFile(
        path.join(craneConfig, 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
      );
      const crane = (...args: string[]): Promise<RunResult> =>
        run(peers.paths.crane, [...args, '--insecure'], { env: { DOCKER_CONFIG: craneConfig, HOME: craneConfig }, timeoutMs: COMMAND_TIMEOUT_MS });
      const appended = await crane('append', '--new_layer', layerTar, '--new_tag', `${registry.host}/team/app:seed`);
      assert.equal(appended.code, 0, appended.stderr);
      const mutated = await crane('mutate', '--set-platform', 'linux/amd64', '--tag', `${registry.host}/team/app:seed`, `${registry.host}/team/app:seed`);
      assert.equal(mutated.code, 0, mutated.stderr);
      recorder.take();
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  after(
    async () => {
      await registry?.stop();
      await recorder?.close();
      await server?.close();
      if (work) await rm(work, { recursive: true, force: true });
    },
    { timeout: HOOK_TIMEOUT_MS },
  );

  /** Runs `steps` with the proxy playing a GET-only server. */
  async function getOnly<T>(steps: () => Promise<T>): Promise<T> {
    recorder.getOnly = true;
    try {
      return await steps();
    } finally {
      recorder.getOnly = false;
    }
  }

  /**
   * Runs `steps`, then reports what the client sent to the realm (proxy and
   * access log) as diagnostics; returns the requests.
   */
  async function recording(t: TestContext, client: string, steps: () => Promise<void>): Promise<RealmRequest[]> {
    recorder.take();
    const logFrom = server.logs().length;
    let sent: RealmRequest[] = [];
    try {
      await steps();
    } finally {
      sent = recorder.take();
      const logged = accessLog(server, logFrom);
      const first = sent[0];
      t.diagnostic(`${client}: first realm request ${first ? `${first.method} (${first.method === 'POST' ? 'POST first' : 'no POST first'})` : 'none'}`);
      for (const request of sent) t.diagnostic(`${client}: ${formatRequest(request)}`);
      t.diagnostic(`${client}: access log: ${logged.map((entry) => `${entry.method} ${entry.path} ${entry.status}`).join(', ') || 'nothing'}`);
    }
    return sent;
  }

  const ok = (result: RunResult, what: string): void => assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);

  test('oras pushes and pulls with --username/--password', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const dir = await mkdtemp(path.join(work, 'oras-'));
    const oras = (...args: string[]): Promise<RunResult> =>
      run(peers.paths.oras, [...args, '--plain-http', '--registry-config', path.join(dir, 'auth.json')], {
        cwd: dir,
        env: { HOME: dir, DOCKER_CONFIG: dir },
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
    await writeFile(path.join(dir, 'artifact.txt'), 'an oras artifact\n');
    const ref = `${registry.host}/team/oras:v1`;
    await recording(t, 'oras', async () => {
      ok(await oras('push', '--username', USER, '--password', PASSWORD, ref, 'artifact.txt:text/plain'), 'oras push');
      await mkdir(path.join(dir, 'out'));
      ok(await oras('pull', '--username', USER, '--password', PASSWORD, '--output', path.join(dir, 'out'), ref), 'oras pull');
    });
    assert.equal(await readFile(path.join(dir, 'out', 'artifact.txt'), 'utf8'), 'an oras artifact\n');
  });

  test('oras login, then push and pull with the stored credentials', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const dir = await mkdtemp(path.join(work, 'oras-login-'));
    const oras = (args: string[], input?: string): Promise<RunResult> =>
      run(
        'sh',
        [
          '-c',
          input === undefined ? '"$@"' : 'printf %s "$ORAS_INPUT" | "$@"',
          'oras',
          peers.paths.oras,
          ...args,
          '--registry-config',
          path.join(dir, 'auth.json'),
        ],
        { cwd: dir, env: { HOME: dir, DOCKER_CONFIG: dir, ORAS_INPUT: input ?? '' }, timeoutMs: COMMAND_TIMEOUT_MS },
      );
    await writeFile(path.join(dir, 'artifact.txt'), 'logged in\n');
    const ref = `${registry.host}/team/oras:logged-in`;
    await recording(t, 'oras login', async () => {
      ok(await oras(['login', '--plain-http', '--username', USER, '--password-stdin', registry.host], PASSWORD), 'oras login');
    });
    const stored = JSON.parse(await readFile(path.join(dir, 'auth.json'), 'utf8')) as { auths?: Record<string, Record<string, unknown>> };
    t.diagnostic(`oras login stored: ${Object.keys(stored.auths?.[registry.host] ?? {}).join(', ')}`);
    await recording(t, 'oras (stored credentials)', async () => {
      ok(await oras(['push', '--plain-http', ref, 'artifact.txt:text/plain']), 'oras push');
      await mkdir(path.join(dir, 'out'));
      ok(await oras(['pull', '--plain-http', '--output', path.join(dir, 'out'), ref]), 'oras pull');
    });
    assert.equal(await readFile(path.join(dir, 'out', 'artifact.txt'), 'utf8'), 'logged in\n');
  });

  describe('helm', () => {
    let dir: string;
    let chart: string;
    const helm = (args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> =>
      run('sh', ['-c', options.input === undefined ? '"$@"' : 'printf %s "$VRA_INPUT" | "$@"', 'helm', peers.paths.helm, ...args], {
        cwd: dir,
        env: {
          VRA_INPUT: options.input ?? '',
          HOME: dir,
          HELM_CONFIG_HOME: path.join(dir, 'config'),
          HELM_CACHE_HOME: path.join(dir, 'cache'),
          HELM_DATA_HOME: path.join(dir, 'data'),
          HELM_REGISTRY_CONFIG: path.join(dir, 'registry.json'),
          ...options.env,
        },
        timeoutMs: COMMAND_TIMEOUT_MS,
      });

    before(
      async () => {
        dir = await mkdtemp(path.join(work, 'helm-'));
        ok(await helm(['create', 'demo']), 'helm create');
        ok(await helm(['package', 'demo', '--destination', dir]), 'helm package');
        chart = path.join(dir, 'demo-0.1.0.tgz');
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    test('helm push and pull with credentials in its registry config (no login)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const registryConfig = path.join(dir, 'stored.json');
      await writeFile(registryConfig, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
      const env = { env: { HELM_REGISTRY_CONFIG: registryConfig } };
      await recording(t, 'helm (stored credentials)', async () => {
        ok(await helm(['push', chart, `oci://${registry.host}/team/charts`, '--plain-http'], env), 'helm push');
        await mkdir(path.join(dir, 'pulled'));
        ok(
          await helm(['pull', `oci://${registry.host}/team/charts/demo`, '--version', '0.1.0', '--plain-http', '--destination', path.join(dir, 'pulled')], env),
          'helm pull',
        );
      });
      assert.deepEqual(await readFile(path.join(dir, 'pulled', 'demo-0.1.0.tgz')), await readFile(chart));
    });

    test('helm registry login', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      await recording(t, 'helm registry login', async () => {
        ok(
          await helm(['registry', 'login', registry.host, '--plain-http', '--username', USER, '--password-stdin'], { input: PASSWORD }),
          'helm registry login',
        );
      });
      const stored = JSON.parse(await readFile(path.join(dir, 'registry.json'), 'utf8')) as { auths?: Record<string, Record<string, unknown>> };
      t.diagnostic(`helm registry login stored: ${Object.keys(stored.auths?.[registry.host] ?? {}).join(', ') || 'nothing'}`);
    });

    // Helm 3.18+ pings at login with the POST password grant forced
    // (ForceAttemptOAuth2); since 3.18.x it pings again without it when that
    // fails (pkg/registry/client.go, ping), so a GET-only server still works.
    test('helm registry login against a GET-only realm: the POST grant is a 405, then it logs in with GET', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const sent = await getOnly(() =>
        recording(t, 'helm registry login (GET-only realm)', async () => {
          const login = await helm(['registry', 'login', registry.host, '--plain-http', '--username', USER, '--password-stdin'], {
            input: PASSWORD,
            env: { HELM_REGISTRY_CONFIG: path.join(dir, 'get-only.json') },
          });
          ok(login, 'helm registry login');
        }),
      );
      assert.deepEqual(
        sent.map((request) => `${request.method} ${request.status} ${request.authorization ?? 'none'}`),
        ['POST 405 none', `GET 200 Basic ${USER}`],
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

    test('ctr images pull and push with --user', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const creds = `${USER}:${PASSWORD}`;
      const seed = `${registry.host}/team/app:seed`;
      const pushed = `${registry.host}/team/app:ctr`;
      const pulling = await recording(t, 'ctr pull', async () => {
        ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds, seed]), 'ctr images pull');
      });
      await recording(t, 'ctr push', async () => {
        ok(await containerd.ctr(['images', 'tag', seed, pushed]), 'ctr images tag');
        ok(await containerd.ctr(['images', 'push', '--plain-http', '--user', creds, pushed]), 'ctr images push');
      });
      ok(await containerd.ctr(['images', 'rm', pushed, seed]), 'ctr images rm');
      await recording(t, 'ctr pull (what it pushed)', async () => {
        ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds, pushed]), 'ctr images pull');
      });
      // containerd's resolver, given a password, asks with the POST grant first.
      assert.equal(pulling[0]?.method, 'POST');
      const listed = await containerd.ctr(['images', 'ls', '-q']);
      ok(listed, 'ctr images ls');
      assert.deepEqual(listed.stdout.trim().split('\n'), [pushed]);
    });

    test('ctr images pull and push against a GET-only realm: each POST is a 405, then the GET fallback works', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const creds = `${USER}:${PASSWORD}`;
      const seed = `${registry.host}/team/app:seed`;
      const pushed = `${registry.host}/team/app:ctr-get-only`;
      const sent = await getOnly(async () => [
        ...(await recording(t, 'ctr pull (GET-only realm)', async () => {
          ok(await containerd.ctr(['images', 'pull', '--plain-http', '--user', creds, seed]), 'ctr images pull');
        })),
        ...(await recording(t, 'ctr push (GET-only realm)', async () => {
          ok(await containerd.ctr(['images', 'tag', seed, pushed]), 'ctr images tag');
          ok(await containerd.ctr(['images', 'push', '--plain-http', '--user', creds, pushed]), 'ctr images push');
        })),
      ]);
      assert.ok(sent.length > 0);
      // Every token was asked for with POST (refused), then with GET and Basic credentials.
      for (let at = 0; at < sent.length; at += 2) {
        const [post, get] = [sent[at], sent[at + 1]];
        assert.equal(`${post?.method} ${post?.status}`, 'POST 405', formatRequest(post as RealmRequest));
        assert.equal(`${get?.method} ${get?.status} ${get?.authorization}`, `GET 200 Basic ${USER}`);
      }
    });
  });

  describe('docker (dockerd)', { skip: rootSkip }, () => {
    let docker: DockerDaemon;

    let startedInMs = 0;

    before(
      async () => {
        const started = Date.now();
        docker = await DockerDaemon.start(peers.paths, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
        startedInMs = Date.now() - started;
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    after(
      async () => {
        await docker?.stop();
      },
      { timeout: HOOK_TIMEOUT_MS },
    );

    test('docker login, push and pull', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      t.diagnostic(`dockerd ${docker.version} (and its own containerd) answered /_ping ${startedInMs} ms after the start`);
      const image = `${registry.host}/team/app:docker`;
      await recording(t, 'docker login', async () => {
        const login = await docker.login(registry.host, USER, PASSWORD);
        ok(login, 'docker login');
        assert.match(login.stdout, /Login Succeeded/u);
      });
      const config = JSON.parse(await readFile(path.join(docker.configDir, 'config.json'), 'utf8')) as { auths?: Record<string, Record<string, unknown>> };
      const stored = config.auths?.[registry.host] ?? {};
      t.diagnostic(`docker login stored: ${Object.keys(stored).join(', ') || 'nothing'} (an identitytoken would be a refresh token)`);
      assert.ok('auth' in stored || 'identitytoken' in stored, 'docker login stored no credentials');

      ok(await docker.importImage(layerTar, image), 'docker import');
      await recording(t, 'docker push', async () => {
        ok(await docker.docker(['push', image]), 'docker push');
      });
      ok(await docker.docker(['image', 'rm', image]), 'docker image rm');
      await recording(t, 'docker pull', async () => {
        ok(await docker.docker(['pull', image]), 'docker pull');
      });
      const inspected = await docker.docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', image]);
      ok(inspected, 'docker image inspect');
      assert.equal(inspected.stdout.trim(), '1');
    });

    // "docker login that stays logged in": docker asks for a refresh token at
    // login (GET offline_token=true); when it gets one it stores it as the
    // identitytoken and uses the POST refresh_token grant instead of the password.
    test('docker login as a user with a hashed password: what docker stores, and how it asks for the next tokens', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const configDir = await mkdtemp(path.join(work, 'docker-config-'));
      const image = `${registry.host}/team/app:docker-hashed`;
      await recording(t, 'docker login (hashed password)', async () => {
        ok(await docker.login(registry.host, HASHED_USER, HASHED_PASSWORD, { configDir }), 'docker login');
      });
      const config = JSON.parse(await readFile(path.join(configDir, 'config.json'), 'utf8')) as { auths?: Record<string, Record<string, unknown>> };
      const stored = config.auths?.[registry.host] ?? {};
      const refreshed = typeof stored.identitytoken === 'string' && stored.identitytoken.length > 0;
      t.diagnostic(
        `docker login (hashed password) stored: ${Object.keys(stored).join(', ') || 'nothing'} (${refreshed ? 'a refresh token' : 'no refresh token'})`,
      );

      ok(await docker.importImage(layerTar, image), 'docker import');
      const pushing = await recording(t, 'docker push (hashed password)', async () => {
        ok(await docker.docker(['push', image], { configDir }), 'docker push');
      });
      ok(await docker.docker(['image', 'rm', image], { configDir }), 'docker image rm');
      await recording(t, 'docker pull (hashed password)', async () => {
        ok(await docker.docker(['pull', image], { configDir }), 'docker pull');
      });
      const first = pushing[0];
      if (refreshed) {
        // With a refresh token, docker keeps the user name alone, never the password.
        assert.ok(
          !Buffer.from(String(stored.auth ?? ''), 'base64')
            .toString('utf8')
            .includes(HASHED_PASSWORD),
          'docker stored the password as well',
        );
        assert.equal(first?.method, 'POST');
        assert.deepEqual(first?.form?.grant_type, ['refresh_token']);
      } else {
        assert.equal(`${first?.method} ${first?.authorization}`, `GET Basic ${HASHED_USER}`);
      }
    });
  });
});
