/**
 * How the server logs in to a real Vault (dev mode) and keeps its token:
 * AppRole (default and custom mounts, config, files and environment), a
 * token renewed before its TTL runs out, a token that cannot be renewed, a
 * Vault Agent token file rotated under the server, a Kubernetes-shaped JWT
 * login, a token revoked while requests run, and the minimal policy of
 * config/vault-policy.hcl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { makeKey, type TestKey } from '../helpers/keys.js';
import { requirePeers } from '../helpers/peers.js';
import { claimsOf, getToken, startTestServer, type TestServer, type TestServerOptions, logLines, type LogLine } from '../helpers/token-server.js';
import { apiOk, createAppRole, createToken, enableAuth, lookupAccessor, revokeAccessor, tokensFromLogin, writeProjectPolicy } from '../helpers/vault-admin.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const POLICY = 'vault-registry-auth';
const QUERY = 'service=registry&scope=repository:linux/app:pull,push&scope=repository:linux/db:push,pull';
const USER: [string, string] = ['foo', 'bar-auth-Secret'];
const ACCESS = [
  { type: 'repository', name: 'linux/app', actions: ['pull', 'push'] },
  { type: 'repository', name: 'linux/db', actions: ['pull'] },
];

const linesStarting = (server: TestServer, prefix: string): LogLine[] => logLines(server).filter((line) => line.message.startsWith(prefix));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A 200 with the user's access, as every request of these tests should get while the login works. */
async function assertGranted(server: TestServer, what = ''): Promise<void> {
  const { status, body } = await getToken(server, QUERY, USER);
  assert.equal(status, 200, `${what}: ${JSON.stringify(body)}`);
  const claims = claimsOf(body.token);
  assert.equal(claims.sub, 'foo');
  assert.equal(claims.aud, 'registry');
  assert.deepEqual(claims.access, ACCESS);
}

describe('logging in to a real Vault', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let dir: string;
  let jwtKey: TestKey;

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-vault-auth-'));
    await vault.enableKv('registry', 1);
    await vault.putUser('registry', 1, USER[0], USER[1], 'repository:linux/app:*;repository:linux/db:pull');
    await writeProjectPolicy(vault, POLICY);
    await enableAuth(vault, 'approle', 'approle');
    jwtKey = await makeKey('p256');
  });

  after(async () => {
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A server on this Vault with `vault` settings merged in, closed after `use`. */
  async function withServer(
    settings: Record<string, unknown>,
    use: (server: TestServer) => Promise<void>,
    options: TestServerOptions & { document?: Record<string, unknown> } = {},
  ): Promise<void> {
    const { document = {}, ...serverOptions } = options;
    const server = await startTestServer({ storage: { vault: { addr: vault.address, timeout: '2s', ...settings } }, ...document }, serverOptions);
    try {
      await use(server);
    } finally {
      await server.close();
    }
  }

  async function fileWith(name: string, content: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `${content}\n`, { mode: 0o600 });
    return file;
  }

  describe('AppRole', () => {
    test('at the default mount, role_id in the config and secret_id from a file: 200 with the right access', async () => {
      const { roleId, secretId } = await createAppRole(vault, 'approle', 'vra', { token_policies: [POLICY], token_ttl: '1h', token_max_ttl: '4h' });
      const secretFile = await fileWith('approle-secret-id', secretId);
      await withServer({ auth: { method: 'approle', role_id: roleId, secret_id_file: secretFile } }, async (server) => {
        await assertGranted(server);
        const logins = linesStarting(server, 'logged in to Vault');
        assert.deepEqual(
          logins.map((line) => [line.message, line.method, line.ttl_seconds, line.renewable]),
          [['logged in to Vault', 'approle', 3600, true]],
        );
        // The token the server got is the role's, with the project's policy.
        const tokens = (await tokensFromLogin(vault, 'auth/approle/login')).filter((info) => (info.meta as { role_name?: string })?.role_name === 'vra');
        assert.equal(tokens.length, 1);
        assert.deepEqual(tokens[0]?.policies, ['default', POLICY]);
        assert.equal(server.logs().includes(secretId), false);
      });
    });

    test('at a custom mount (ci/approle), role_id and secret_id from VAULT_ROLE_ID and VAULT_SECRET_ID', async () => {
      await enableAuth(vault, 'ci/approle', 'approle');
      const { roleId, secretId } = await createAppRole(vault, 'ci/approle', 'ci', { token_policies: [POLICY], token_ttl: '1h' });
      await withServer(
        { auth: { method: 'approle', mount: 'ci/approle' } },
        async (server) => {
          await assertGranted(server);
          assert.equal(linesStarting(server, 'logged in to Vault').length, 1);
          assert.equal(linesStarting(server, 'cannot log in to Vault').length, 0);
          assert.equal(server.logs().includes(secretId), false);
        },
        { env: { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId } },
      );
    });

    test('a wrong secret_id: 503, and one "cannot log in" line naming the login path and Vault\'s reason, never the secret', async () => {
      const { roleId } = await createAppRole(vault, 'approle', 'wrong', { token_policies: [POLICY], token_ttl: '1h' });
      const wrongSecret = randomUUID();
      const secretFile = await fileWith('approle-wrong-secret-id', wrongSecret);
      await withServer({ auth: { method: 'approle', role_id: roleId, secret_id_file: secretFile } }, async (server) => {
        for (const attempt of [1, 2, 3]) {
          const { status, body } = await getToken(server, QUERY, USER);
          assert.deepEqual([status, body], [503, UNAVAILABLE], `attempt ${attempt}`);
        }
        const failed = linesStarting(server, 'cannot log in to Vault');
        assert.equal(failed.length, 1, server.logs());
        assert.equal(failed[0]?.message, 'cannot log in to Vault: answering 503 until a login succeeds');
        assert.equal(failed[0]?.method, 'approle');
        // Vault 1.13 answers a wrong secret_id with a 500 (later versions and OpenBao: 400).
        assert.match(String(failed[0]?.reason), /^approle login at auth\/approle\/login was refused \((?:400|500)\): invalid secret id$/u);
        assert.equal(server.logs().includes(wrongSecret), false);
        assert.equal(server.logs().includes(roleId), false);
      });
    });
  });

  /**
   * A renewable token of `ttlSeconds` (max TTL 120 s) as auth_token, the
   * cache off, and requests all along until `forMs` has passed: each one
   * 200, read with a token that outlived its first TTL only by being renewed
   * (renew-self), which Vault's own record of its expire time shows.
   */
  async function assertRenewedPast(ttlSeconds: number, forMs: number): Promise<void> {
    const { token, accessor } = await createToken(vault, { policies: [POLICY], ttl: `${ttlSeconds}s`, explicit_max_ttl: '120s', renewable: true });
    const first = await lookupAccessor(vault, accessor);
    assert.ok(first?.expire_time);
    await withServer(
      { auth_token: token },
      async (server) => {
        const until = Date.now() + forMs;
        let requests = 0;
        while (Date.now() < until) {
          requests += 1;
          await assertGranted(server, `request ${requests}`);
          await sleep(200);
        }
        assert.ok(Date.now() > Date.parse(first.expire_time ?? ''), 'the requests went on past the first TTL');
        const now = await lookupAccessor(vault, accessor);
        assert.ok(now, 'the token still exists');
        assert.ok(now.last_renewal, 'Vault saw a renewal');
        assert.ok(Date.parse(now.expire_time ?? '') > Date.parse(first.expire_time ?? '') + 2_000, `${first.expire_time} → ${now.expire_time}`);
        assert.equal(linesStarting(server, 'logged in to Vault again').length, 0, server.logs());
        assert.equal(linesStarting(server, 'cannot log in to Vault').length, 0);
        assert.equal(linesStarting(server, 'the Vault token will expire').length, 0);
      },
      { document: { cache: { ttl: 0 } } },
    );
  }

  test('a renewable token is renewed before it expires and outlives its TTL (ttl 3s, asked for 7s)', async () => {
    await assertRenewedPast(3, 7_000);
  });

  test('a token that cannot be renewed: one line saying when it will expire', async () => {
    const { token, accessor } = await createToken(vault, { policies: [POLICY], ttl: '1h', renewable: false });
    const info = await lookupAccessor(vault, accessor);
    assert.equal(info?.renewable, false);
    await withServer(
      { auth_token: token },
      async (server) => {
        for (let i = 0; i < 3; i += 1) await assertGranted(server, `request ${i}`);
        const expiring = linesStarting(server, 'the Vault token will expire at ');
        assert.equal(expiring.length, 1, server.logs());
        const expiresAt = Date.parse(String(expiring[0]?.expires_at));
        assert.ok(Math.abs(expiresAt - Date.parse(info?.expire_time ?? '')) < 5_000, `${expiring[0]?.expires_at} vs ${info?.expire_time}`);
        assert.equal(expiring[0]?.level, 'warn');
        assert.match(expiring[0]?.message ?? '', /because it is not renewable/u);
        assert.equal(server.logs().includes(token), false);
      },
      { document: { cache: { ttl: 0 } } },
    );
  });

  test('a token file rewritten as Vault Agent does (temp file renamed over): the new token is used, the old one revoked', async () => {
    const a = await createToken(vault, { policies: [POLICY], ttl: '1h' });
    const b = await createToken(vault, { policies: [POLICY], ttl: '1h' });
    const sinkDir = await mkdtemp(path.join(dir, 'agent-'));
    const sink = path.join(sinkDir, 'token');
    await writeFile(sink, a.token, { mode: 0o600 });
    await withServer(
      { auth: { method: 'token', token_file: sink } },
      async (server) => {
        await assertGranted(server, 'with token A');
        const temp = path.join(sinkDir, '.token.tmp');
        await writeFile(temp, b.token, { mode: 0o600 });
        await rename(temp, sink);
        await revokeAccessor(vault, a.accessor);
        assert.equal(await lookupAccessor(vault, a.accessor), null);
        const deadline = Date.now() + 2_000;
        while (linesStarting(server, 'logged in to Vault again').length === 0 && Date.now() < deadline) await sleep(50);
        assert.equal(linesStarting(server, 'logged in to Vault again').length, 1, server.logs());
        for (let i = 0; i < 5; i += 1) await assertGranted(server, `with token B, request ${i}`);
        assert.equal(linesStarting(server, 'cannot log in to Vault').length, 0);
        for (const token of [a.token, b.token]) assert.equal(server.logs().includes(token), false);
      },
      { document: { cache: { ttl: 0 } } },
    );
  });

  describe("Kubernetes-shaped login (Vault's jwt method at auth/kubernetes)", () => {
    before(async () => {
      await enableAuth(vault, 'kubernetes', 'jwt');
      const publicPem = createPublicKey(jwtKey.privateKey).export({ type: 'spki', format: 'pem' }) as string;
      await apiOk(vault, 'POST', 'auth/kubernetes/config', { jwt_validation_pubkeys: [publicPem] });
      await apiOk(vault, 'POST', 'auth/kubernetes/role/vra', {
        role_type: 'jwt',
        bound_audiences: ['https://vault.example.com'],
        user_claim: 'sub',
        token_policies: [POLICY],
        token_ttl: '1h',
      });
    });

    const serviceAccountJwt = (audience: string): Promise<string> =>
      new SignJWT({ 'kubernetes.io': { namespace: 'registry', serviceaccount: { name: 'vra' } } })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer('https://kubernetes.default.svc.cluster.local')
        .setSubject('system:serviceaccount:registry:vra')
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(jwtKey.privateKey);

    test('a service-account JWT from a file and a role: 200', async () => {
      const jwt = await serviceAccountJwt('https://vault.example.com');
      const jwtFile = await fileWith('k8s-token', jwt);
      await withServer({ auth: { method: 'kubernetes', role: 'vra', jwt_file: jwtFile } }, async (server) => {
        await assertGranted(server);
        const logins = linesStarting(server, 'logged in to Vault');
        assert.deepEqual(
          logins.map((line) => [line.message, line.method, line.ttl_seconds]),
          [['logged in to Vault', 'kubernetes', 3600]],
        );
        assert.equal(server.logs().includes(jwt), false);
      });
    });

    test('a JWT for another audience: 503 and one "cannot log in" line', async () => {
      const jwt = await serviceAccountJwt('https://elsewhere.example.com');
      const jwtFile = await fileWith('k8s-token-other-audience', jwt);
      await withServer({ auth: { method: 'kubernetes', role: 'vra', jwt_file: jwtFile } }, async (server) => {
        for (const attempt of [1, 2]) {
          const { status, body } = await getToken(server, QUERY, USER);
          assert.deepEqual([status, body], [503, UNAVAILABLE], `attempt ${attempt}`);
        }
        const failed = linesStarting(server, 'cannot log in to Vault');
        assert.equal(failed.length, 1, server.logs());
        assert.equal(failed[0]?.method, 'kubernetes');
        assert.match(String(failed[0]?.reason), /^kubernetes login at auth\/kubernetes\/login was refused \(400\): .*invalid audience \(aud\) claim/u);
        assert.equal(server.logs().includes(jwt), false);
      });
    });
  });

  describe("the server's token revoked while requests run", () => {
    test('AppRole: the server logs in again and retries, no request fails', async () => {
      const { roleId, secretId } = await createAppRole(vault, 'approle', 'relogin', { token_policies: [POLICY], token_ttl: '1h' });
      const secretFile = await fileWith('approle-relogin-secret-id', secretId);
      const serverTokens = async () =>
        (await tokensFromLogin(vault, 'auth/approle/login')).filter((info) => (info.meta as { role_name?: string })?.role_name === 'relogin');
      await withServer(
        { auth: { method: 'approle', role_id: roleId, secret_id_file: secretFile } },
        async (server) => {
          const statuses: number[] = [];
          const ask = async (): Promise<void> => {
            const { status, body } = await getToken(server, QUERY, USER);
            statuses.push(status);
            assert.equal(status, 200, JSON.stringify(body));
          };
          const revokeServerToken = async (): Promise<void> => {
            const live = await serverTokens();
            assert.equal(live.length, 1, JSON.stringify(live));
            await revokeAccessor(vault, live[0]?.accessor ?? '');
          };
          // Sequential requests, the token revoked in the middle.
          for (let i = 0; i < 30; i += 1) {
            if (i === 10) await revokeServerToken();
            await ask();
          }
          // Revoked again, then a concurrent batch: one login for all of them.
          await revokeServerToken();
          await Promise.all(Array.from({ length: 10 }, ask));
          await ask();
          assert.equal(statuses.length, 41);
          assert.deepEqual(
            statuses.filter((status) => status !== 200),
            [],
          );
          assert.equal(linesStarting(server, 'logged in to Vault again').length, 2, server.logs());
          assert.equal(linesStarting(server, 'cannot log in to Vault').length, 0);
          assert.equal((await serverTokens()).length, 1);
        },
        { document: { cache: { ttl: 0 } } },
      );
    });

    test('a static token: 503 with the UNAVAILABLE body (never 401), and one "cannot log in" line however many requests follow', async () => {
      const { token, accessor } = await createToken(vault, { policies: [POLICY], ttl: '1h' });
      await withServer(
        { auth_token: token },
        async (server) => {
          await assertGranted(server, 'before the revocation');
          await revokeAccessor(vault, accessor);
          for (let i = 0; i < 8; i += 1) {
            const { status, body } = await getToken(server, QUERY, USER);
            assert.deepEqual([status, body], [503, UNAVAILABLE], `request ${i} after the revocation`);
            // A wrong password too: Vault cannot be asked, so no 401 either.
            const wrong = await getToken(server, QUERY, [USER[0], 'wrong-password']);
            assert.deepEqual([wrong.status, wrong.body], [503, UNAVAILABLE], `request ${i} with a wrong password`);
          }
          const failed = linesStarting(server, 'cannot log in to Vault');
          assert.equal(failed.length, 1, server.logs());
          assert.equal(failed[0]?.method, 'token');
          assert.match(String(failed[0]?.reason), /invalid, expired or revoked/u);
          assert.equal(server.logs().includes(token), false);
        },
        { document: { cache: { ttl: 0 } } },
      );
    });
  });

  test('the minimal policy (config/vault-policy.hcl, no default policy): 200 on its mount, a clear start-up line and 503 for a mount it does not cover', async () => {
    await vault.enableKv('other', 2);
    await vault.putUser('other', 2, USER[0], USER[1], 'repository:linux/app:*');
    const { token, accessor } = await createToken(vault, { policies: [POLICY], no_default_policy: true, ttl: '1h' });
    assert.deepEqual((await lookupAccessor(vault, accessor))?.policies, [POLICY]);
    await withServer(
      { auth_token: token },
      async (server) => {
        await assertGranted(server, 'service registry');
        const configuration = linesStarting(server, 'Vault configuration:');
        assert.deepEqual(
          configuration.map((line) => [line.level, line.message]),
          [
            [
              'error',
              "Vault configuration: the server's Vault token may not see the mount other (sys/internal/ui/mounts/other answered 403): " +
                'its policy needs read on other/* (KV v1) or other/data/* (KV v2); see config/vault-policy.hcl',
            ],
          ],
        );
        for (const credentials of [USER, [USER[0], 'wrong-password'] as [string, string]]) {
          const { status, body } = await getToken(server, 'service=other&scope=repository:linux/app:pull', credentials);
          assert.deepEqual([status, body], [503, UNAVAILABLE], credentials[1]);
        }
        // registry still answers after the refusals on other.
        await assertGranted(server, 'service registry, again');
        assert.equal(server.logs().includes(token), false);
        assert.equal(server.logs().includes(ROOT_TOKEN), false);
      },
      { document: { cache: { ttl: 0 }, services: [{ name: 'registry' }, { name: 'other' }] } },
    );
  });
});
