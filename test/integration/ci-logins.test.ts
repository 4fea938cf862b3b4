/**
 * CI logins (`services[].logins: [{vault_jwt: jwt, role, username: ci,
 * access}]`) against a real Vault dev server with its jwt auth method: a job
 * sends the user `ci` and its CI system's OIDC token, which Vault checks
 * (signature, issuer, audience, expiry, bound claims) against the role
 * `registry-ci`. The tokens are GitLab-like, signed with a key pair made
 * here whose public key Vault trusts (jwt_validation_pubkeys).
 *
 * Vault's own audit device shows what the server asked of Vault: a login is
 * found by the HMAC Vault gives the JWT (sys/audit-hash), its revoke-self by
 * the login token's accessor. The server's clock is a ManualClock where the
 * memory of logins is the point; Vault checks `exp` with the real one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { ManualClock } from '../helpers/clock.js';
import { waitFor } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { basic, claimsOf, getToken, startTestServer, type TestServer, type TestServerOptions, logLines } from '../helpers/token-server.js';
import { apiOk, enableAuth, lookupAccessor } from '../helpers/vault-admin.js';
import { serverToken, VaultAudit } from '../helpers/vault-audit.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');

const ISSUER = 'https://gitlab.example.com';
const AUDIENCE = 'registry.example.com';
const ROLE = 'registry-ci';
const META_ROLE = 'registry-ci-meta';
const POLICY = 'registry-ci-push';
/** What a project's job may do to its own repository and those under it. */
const TEMPLATE = 'repository:${claims.project_path}:push,pull;repository:${claims.project_path}/**:push,pull';
const POLICY_GROUP_ACCESS = 'repository:shared/base:pull;repository:cache/**:push,pull';
const CI_ENTRY_ACCESS = 'repository:ci-tools/scanner:pull';

const BAD_CREDENTIALS = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const OAUTH_BAD_CREDENTIALS = { error: 'invalid_grant', error_description: 'invalid username or password', details: 'invalid username or password' };

const repo = (name: string, ...actions: string[]) => ({ type: 'repository', name, actions });
const scopes = (...entries: string[]): string => entries.map((entry) => `scope=${encodeURIComponent(entry)}`).join('&');

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe("CI logins through Vault's jwt auth method", { skip: peers.skip }, () => {
  let vault: VaultServer;
  let audit: VaultAudit;
  let token: string;
  let ciKey: KeyLike;
  let otherKey: KeyLike;
  /** Every JWT a test sent, to show none of them reached a log. */
  const sent: string[] = [];
  const servers: TestServer[] = [];

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    audit = await VaultAudit.enable(vault);
    const ci = await generateKeyPair('ES256', { extractable: true });
    ciKey = ci.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;

    // The jwt method as the README sets it up, with a public key instead of the CI system's discovery URL.
    await enableAuth(vault, 'jwt', 'jwt');
    await apiOk(vault, 'POST', 'auth/jwt/config', { jwt_validation_pubkeys: [await exportSPKI(ci.publicKey)], bound_issuer: ISSUER });
    const role = {
      role_type: 'jwt',
      bound_audiences: [AUDIENCE],
      user_claim: 'sub',
      bound_claims: { namespace_path: 'group' },
      token_policies: [POLICY],
      token_ttl: 60,
    };
    await apiOk(vault, 'POST', `auth/jwt/role/${ROLE}`, role);
    // For groups_from: metadata: the job's namespace becomes the login's metadata field `groups`.
    await apiOk(vault, 'POST', `auth/jwt/role/${META_ROLE}`, { ...role, claim_mappings: { namespace_path: 'groups' } });

    await vault.enableKv('registry', 1);
    await vault.cliOk('write', `registry/_groups/${POLICY}`, `access=${POLICY_GROUP_ACCESS}`);
    await vault.cliOk('write', 'registry/_groups/group', 'access=repository:group-tools/**:pull');
    // The user ci's own entry: no password (the JWT is the password), rights all its logins get.
    await vault.cliOk('write', 'registry/ci', `access=${CI_ENTRY_ACCESS}`);
    await vault.putUser('registry', 1, 'foo', 'bar-kv-Secret', 'repository:linux/app:*');
    // A service whose CI login comes before kv, and whose KV entry ci has a password.
    await vault.enableKv('jwt-first', 1);
    await vault.putUser('jwt-first', 1, 'ci', 'ci-kv-Secret', 'repository:kv-only/app:*');

    token = (await serverToken(vault)).token;
  });

  after(async () => {
    for (const server of servers) await server.close();
    await audit?.remove();
    await vault?.stop();
  });

  const ciWay = (role = ROLE) => ({ vault_jwt: 'jwt', role, username: 'ci', access: TEMPLATE });

  /** A server on this Vault (or `addr`), throttling off unless asked: these tests send many refused logins on purpose. */
  async function startServer(
    options: TestServerOptions & { addr?: string; cache?: Record<string, unknown>; throttle?: Record<string, unknown> } = {},
  ): Promise<TestServer> {
    const { addr = vault.address, cache, throttle = { enabled: false }, ...serverOptions } = options;
    const server = await startTestServer(
      {
        storage: { vault: { addr, auth_token: token, timeout: '2s' } },
        // The client's address from X-Forwarded-For (the throttle test sends from several).
        http: { trusted_proxies: ['loopback'] },
        throttle,
        // The audit log to a file in the server's folder: a CI login is audited, its token never.
        audit: { output: 'audit.log' },
        ...(cache ? { cache } : {}),
        services: [
          { name: 'registry', mount: 'registry', logins: ['kv', ciWay()], groups_from: 'policies' },
          { name: 'registry-meta', mount: 'registry', logins: ['kv', ciWay(META_ROLE)], groups_from: 'metadata' },
          { name: 'jwt-first', mount: 'jwt-first', logins: [ciWay(), 'kv'] },
        ],
      },
      serverOptions,
    );
    servers.push(server);
    return server;
  }

  let shared: TestServer | undefined;
  const server = async (): Promise<TestServer> => {
    shared ??= await startServer();
    return shared;
  };

  /** A GitLab-like ID token for project group/app on branch main; `claims` replace or add (undefined removes). */
  async function ciToken(claims: Record<string, unknown> = {}, key: KeyLike = ciKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'project_path:group/app:ref_type:branch:ref:main',
      namespace_id: '7',
      namespace_path: 'group',
      project_id: '42',
      project_path: 'group/app',
      ref: 'main',
      ref_type: 'branch',
      // Each token its own: the server remembers logins by the JWT.
      jti: randomUUID(),
      iat: now,
      nbf: now - 5,
      exp: now + 300,
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    const jwt = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(key);
    sent.push(jwt);
    return jwt;
  }

  /** How Vault's audit log writes this JWT (an HMAC of it). */
  async function auditHash(jwt: string): Promise<string> {
    const body = await apiOk(vault, 'POST', 'sys/audit-hash/file', { input: jwt });
    return body.hash ?? body.data.hash;
  }

  /** The logins Vault saw with this JWT, and the accessors of the tokens they gave. */
  async function loginsWith(jwt: string): Promise<{ requests: number; accessors: string[] }> {
    const hash = await auditHash(jwt);
    const entries = (await audit.entries()).filter((entry) => entry.request?.path === 'auth/jwt/login' && entry.request.data?.jwt === hash);
    return {
      requests: entries.filter((entry) => entry.type === 'request').length,
      accessors: entries.flatMap((entry) => (entry.type === 'response' && entry.response?.auth?.accessor ? [entry.response.auth.accessor] : [])),
    };
  }

  /** The server's audit line of the token with this jti (written after the answer, so waited for). */
  async function auditRecord(s: TestServer, jti: string): Promise<Record<string, unknown>> {
    const find = async () =>
      (await readFile(path.join(s.dir, 'audit.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((record) => record.jti === jti);
    await waitFor(`the audit line of ${jti}`, async () => (await find()) !== undefined, 10_000);
    return (await find()) as Record<string, unknown>;
  }

  /** Every login request to the jwt method so far. */
  const allLogins = async (): Promise<number> =>
    (await audit.entries()).filter((entry) => entry.type === 'request' && entry.request?.path === 'auth/jwt/login').length;

  /** The revoke-self requests made with the tokens of these accessors. */
  async function revokes(accessors: readonly string[]): Promise<number> {
    return (await audit.entries()).filter(
      (entry) => entry.type === 'request' && entry.request?.path === 'auth/token/revoke-self' && accessors.includes(entry.auth?.accessor ?? ''),
    ).length;
  }

  /** Each login's token was revoked once (in the background, so waited for) and no longer exists. */
  async function assertRevoked(accessors: readonly string[]): Promise<void> {
    await waitFor('revoke-self of every login token', async () => (await revokes(accessors)) === accessors.length, 10_000);
    assert.equal(await revokes(accessors), accessors.length);
    for (const accessor of accessors) assert.equal(await lookupAccessor(vault, accessor), null, `token ${accessor} still exists`);
  }

  const FULL_QUERY = `service=registry&${scopes(
    'repository:group/app:pull,push',
    'repository:group/app/cache:pull,push',
    'repository:other/app:pull,push',
    'repository:shared/base:pull,push',
    'repository:cache/x:push',
    'repository:ci-tools/scanner:pull',
    'repository:linux/app:pull',
  )}`;

  /** What a group/app job gets of FULL_QUERY: its project (template), the policy's group, ci's own entry; not other/app, not foo's. */
  const FULL_ACCESS = [
    repo('group/app', 'pull', 'push'),
    repo('group/app/cache', 'pull', 'push'),
    repo('shared/base', 'pull'),
    repo('cache/x', 'push'),
    repo('ci-tools/scanner', 'pull'),
  ];

  test("a good CI token as user ci: 200, access = asked ∩ (template bound to project_path ∪ the policy's group ∪ ci's entry); one login, revoked", async () => {
    const jwt = await ciToken();
    const { status, body } = await getToken(await server(), FULL_QUERY, ['ci', jwt]);
    assert.equal(status, 200, JSON.stringify(body));
    const claims = claimsOf(body.token);
    assert.deepEqual([claims.sub, claims.aud], ['ci', 'registry']);
    assert.deepEqual(claims.access, FULL_ACCESS);
    // The audit line names the login; other/app and linux/app were not granted, so the grant is partial.
    const audited = await auditRecord(await server(), claims.jti);
    assert.deepEqual(
      [audited.service, audited.account, audited.grant, audited.login, audited.outcome, audited.status],
      ['registry', 'ci', 'password', 'jwt login (role registry-ci)', 'partial', 200],
    );
    const logins = await loginsWith(jwt);
    assert.equal(logins.requests, 1);
    assert.equal(logins.accessors.length, 1);
    await assertRevoked(logins.accessors);
  });

  test("another project's token gets nothing of group/app, only its own project", async () => {
    const jwt = await ciToken({ project_path: 'group/other', sub: 'project_path:group/other:ref_type:branch:ref:main' });
    const { status, body } = await getToken(await server(), `service=registry&${scopes('repository:group/app:push,pull', 'repository:group/other:push')}`, [
      'ci',
      jwt,
    ]);
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, [repo('group/other', 'push')]);
  });

  test('no refresh token for a CI login, on GET (offline_token) and POST (access_type=offline)', async () => {
    const jwt = await ciToken();
    const got = await getToken(await server(), 'service=registry&offline_token=true&scope=repository:group/app:pull', ['ci', jwt]);
    assert.equal(got.status, 200);
    assert.deepEqual(Object.keys(got.body).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
    const posted = await post({
      grant_type: 'password',
      client_id: 'docker',
      service: 'registry',
      username: 'ci',
      password: jwt,
      access_type: 'offline',
      scope: 'repository:group/app:pull',
    });
    assert.equal(posted.status, 200);
    assert.deepEqual(Object.keys(posted.body).sort(), ['access_token', 'expires_in', 'issued_at', 'scope']);
    assert.equal(posted.body.scope, 'repository:group/app:pull');
    // Both requests: one Vault login between them.
    assert.equal((await loginsWith(jwt)).requests, 1);
  });

  async function post(fields: Record<string, string>): Promise<{ status: number; body: any }> {
    const response = await fetch(`${(await server()).url}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: response.status, body: await response.json() };
  }

  test('tokens Vault refuses: each a 401 with the Docker body, after one Vault login each', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused: [string, string][] = [
      ['expired an hour ago', await ciToken({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 })],
      ['signed by another key', await ciToken({}, otherKey)],
      ['for another audience', await ciToken({ aud: 'other.example.com' })],
      ['from another issuer', await ciToken({ iss: 'https://gitlab.evil.example' })],
      ['a bound claim that does not match (namespace_path other)', await ciToken({ namespace_path: 'other', project_path: 'other/app' })],
      ['without the user claim sub', await ciToken({ sub: undefined })],
    ];
    const unsigned = new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'x', namespace_path: 'group', project_path: 'group/app', exp: now + 300 }).encode();
    sent.push(unsigned);
    refused.push(['unsigned (alg none)', unsigned]);
    for (const [what, jwt] of refused) {
      const { status, body } = await getToken(await server(), 'service=registry&scope=repository:group/app:pull', ['ci', jwt]);
      assert.deepEqual([status, body], [401, BAD_CREDENTIALS], what);
      const logins = await loginsWith(jwt);
      assert.deepEqual([logins.requests, logins.accessors], [1, []], what);
    }
  });

  test('a refused token on POST: 401 in the OAuth2 shape', async () => {
    const jwt = await ciToken({ aud: 'other.example.com' });
    const { status, body } = await post({ grant_type: 'password', client_id: 'docker', service: 'registry', username: 'ci', password: jwt });
    assert.deepEqual([status, body], [401, OAUTH_BAD_CREDENTIALS]);
  });

  test('passwords that are no JWT (or one too large) as ci: 401 without asking Vault', async () => {
    const before = await allLogins();
    const big = await ciToken({ padding: 'x'.repeat(9000) });
    const good = await ciToken();
    const cases: [string, string][] = [
      ['a password', 'ci-kv-Secret'],
      ['two parts', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0'],
      ['four parts', `${good}.x`],
      ['not base64url', good.replace(/\./, '.+/')],
      ['a JWT with a space after it', `${good} `],
    ];
    for (const [what, password] of cases) {
      const { status, body } = await getToken(await server(), 'service=registry&scope=repository:group/app:pull', ['ci', password]);
      assert.deepEqual([status, body], [401, BAD_CREDENTIALS], what);
    }
    const emptyGet = await getToken(await server(), 'service=registry&scope=repository:group/app:pull', ['ci', '']);
    assert.deepEqual([emptyGet.status, emptyGet.body], [401, BAD_CREDENTIALS]);
    // Larger than 8 KiB (a valid token otherwise): only a POST carries it (the headers are bounded below that).
    const large = await post({ grant_type: 'password', client_id: 'docker', service: 'registry', username: 'ci', password: big });
    assert.deepEqual([large.status, large.body], [401, OAUTH_BAD_CREDENTIALS]);
    const empty = await post({ grant_type: 'password', client_id: 'docker', service: 'registry', username: 'ci', password: '' });
    // On POST an empty password is a malformed request (as for any user), still no Vault login.
    assert.deepEqual(
      [empty.status, empty.body],
      [400, { error: 'invalid_request', error_description: 'password is required', details: 'password is required' }],
    );
    assert.equal(await allLogins(), before);
  });

  // Five values, two entries each: ten lines, what the log limiter lets through in a minute.
  const HOSTILE = ['group/*', '../x', 'a;repository:*:*', 'group/app:push', '${account}'];

  test("a hostile project_path: 200 with the template's entries dropped (no wildcard rights), each said once in the log", async () => {
    const s = await startServer();
    const asked = `service=registry&${scopes('repository:group/app:push,pull', 'repository:group/x:push', 'repository:x:push', 'repository:shared/base:pull', 'repository:a:push', 'registry:catalog:*')}`;
    for (const hostile of HOSTILE) {
      for (const attempt of [1, 2]) {
        const jwt = await ciToken({ project_path: hostile });
        const { status, body } = await getToken(s, asked, ['ci', jwt]);
        assert.equal(status, 200, `${hostile} ${attempt}`);
        // Only the policy's group: no entry made of the claim.
        assert.deepEqual(claimsOf(body.token).access, [repo('shared/base', 'pull')], hostile);
      }
    }
    const dropped = logLines(s).filter((line) => line.message === "part of a user's rights cannot be used");
    assert.deepEqual(
      dropped.map((line) => [line.level, line.service, line.account, line.problem]),
      HOSTILE.flatMap((hostile) =>
        ['repository:${claims.project_path}:push,pull', 'repository:${claims.project_path}/**:push,pull'].map((entry) => [
          'warn',
          'registry',
          'ci',
          `entry ${JSON.stringify(entry)} dropped: the claim project_path ${JSON.stringify(hostile)} is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)`,
        ]),
      ),
    );
  });

  test('a token without the claim: the entry is dropped, the rest granted', async () => {
    const jwt = await ciToken({ project_path: undefined });
    const { status, body } = await getToken(await server(), `service=registry&${scopes('repository:group/app:pull', 'repository:shared/base:pull')}`, [
      'ci',
      jwt,
    ]);
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, [repo('shared/base', 'pull')]);
  });

  test('another user name goes to kv as usual, and a CI token is no password there', async () => {
    const s = await server();
    const kv = await getToken(s, 'service=registry&scope=repository:linux/app:pull,push', ['foo', 'bar-kv-Secret']);
    assert.equal(kv.status, 200);
    assert.deepEqual(claimsOf(kv.body.token).access, [repo('linux/app', 'pull', 'push')]);
    const jwt = await ciToken();
    for (const user of ['foo', 'nobody', 'CI']) {
      const { status, body } = await getToken(s, 'service=registry&scope=repository:group/app:pull', [user, jwt]);
      assert.deepEqual([status, body], [401, BAD_CREDENTIALS], user);
    }
    assert.equal((await loginsWith(jwt)).requests, 0);
  });

  test("with the CI login first, a refused ci login does not fall through to kv (ci's KV password is refused)", async () => {
    const s = await server();
    const kvPassword = await getToken(s, 'service=jwt-first&scope=repository:kv-only/app:pull', ['ci', 'ci-kv-Secret']);
    assert.deepEqual([kvPassword.status, kvPassword.body], [401, BAD_CREDENTIALS]);
    const refusedJwt = await ciToken({ aud: 'other.example.com' });
    const refused = await getToken(s, 'service=jwt-first&scope=repository:kv-only/app:pull', ['ci', refusedJwt]);
    assert.deepEqual([refused.status, refused.body], [401, BAD_CREDENTIALS]);
    // A good token: ci's KV entry adds its access to the login's.
    const good = await getToken(s, `service=jwt-first&${scopes('repository:kv-only/app:pull', 'repository:group/app:push')}`, ['ci', await ciToken()]);
    assert.equal(good.status, 200);
    assert.deepEqual(claimsOf(good.body.token).access, [repo('kv-only/app', 'pull'), repo('group/app', 'push')]);
  });

  test('groups_from: metadata: the group is the claim the role maps to the metadata field groups, not the policy', async () => {
    const jwt = await ciToken();
    const { status, body } = await getToken(
      await server(),
      `service=registry-meta&${scopes('repository:group-tools/lint:pull', 'repository:shared/base:pull', 'repository:group/app:push')}`,
      ['ci', jwt],
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(claimsOf(body.token).access, [repo('group-tools/lint', 'pull'), repo('group/app', 'push')]);
    await assertRevoked((await loginsWith(jwt)).accessors);
  });

  test('50 identical requests at once: one Vault login, one revoke-self, fifty 200s', async () => {
    const s = await startServer();
    const jwt = await ciToken();
    const answers = await Promise.all(Array.from({ length: 50 }, () => getToken(s, FULL_QUERY, ['ci', jwt])));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      answers.map(() => 200),
    );
    for (const answer of answers) assert.deepEqual(claimsOf(answer.body.token).access, FULL_ACCESS);
    const logins = await loginsWith(jwt);
    assert.deepEqual([logins.requests, logins.accessors.length], [1, 1]);
    await assertRevoked(logins.accessors);
  });

  test("a login is remembered until the cache TTL or the token's exp, whichever is first; then Vault is asked again", async () => {
    const clock = new ManualClock(Date.now());
    const s = await startServer({ clock, cache: { ttl: '10m' } });
    const query = 'service=registry&scope=repository:group/app:pull';
    const expected = [repo('group/app', 'pull')];

    // exp in 2 minutes, sooner than the 10-minute TTL: remembered until exp.
    const soon = await ciToken({ exp: Math.floor(Date.now() / 1000) + 120 });
    for (const step of ['first', 'remembered']) {
      const { status, body } = await getToken(s, query, ['ci', soon]);
      assert.deepEqual([status, claimsOf(body.token).access], [200, expected], step);
    }
    assert.equal((await loginsWith(soon)).requests, 1);
    clock.advance(121_000);
    // The server's clock is past exp, Vault's (the real one) is not: Vault logs in again.
    const again = await getToken(s, query, ['ci', soon]);
    assert.deepEqual([again.status, claimsOf(again.body.token).access], [200, expected]);
    assert.equal((await loginsWith(soon)).requests, 2);

    // exp in an hour: remembered for the TTL.
    const later = await ciToken({ exp: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal((await getToken(s, query, ['ci', later])).status, 200);
    clock.advance(599_000);
    assert.equal((await getToken(s, query, ['ci', later])).status, 200);
    assert.equal((await loginsWith(later)).requests, 1);
    clock.advance(1_000);
    assert.equal((await getToken(s, query, ['ci', later])).status, 200);
    assert.equal((await loginsWith(later)).requests, 2);
    await assertRevoked([...(await loginsWith(soon)).accessors, ...(await loginsWith(later)).accessors]);
  });

  test('Vault cut off: a new CI login is a 503 (never a 401); a remembered one still works', async () => {
    const proxy = await TcpProxy.start(Number(new URL(vault.address).port));
    try {
      const s = await startServer({ addr: `http://127.0.0.1:${proxy.port}` });
      const query = 'service=registry&scope=repository:group/app:pull';
      const known = await ciToken();
      assert.equal((await getToken(s, query, ['ci', known])).status, 200);
      proxy.set('cut');
      const remembered = await getToken(s, query, ['ci', known]);
      assert.deepEqual([remembered.status, claimsOf(remembered.body.token).access], [200, [repo('group/app', 'pull')]]);
      const fresh = await ciToken();
      const { status, headers, body } = await getToken(s, query, ['ci', fresh]);
      assert.deepEqual([status, body], [503, UNAVAILABLE]);
      assert.ok(headers.get('retry-after'), 'a Retry-After header');
      // A token Vault would refuse is no 401 either while Vault cannot say.
      const refused = await getToken(s, query, ['ci', await ciToken({ aud: 'other.example.com' })]);
      assert.deepEqual([refused.status, refused.body], [503, UNAVAILABLE]);
    } finally {
      await proxy.close();
    }
  });

  test('the throttle: failed CI logins count against the address only; nobody can lock the CI name out for everyone', async () => {
    // Thresholds low enough to reach: 3 for a pair, 6 for an address, 4 for an account.
    const s = await startServer({ throttle: { failures: { pair: 3, client: 6, account: 4 }, window: '1m', block: '1m', max_block: '1m' } });
    const query = 'service=registry&scope=repository:group/app:pull';
    const from = async (address: string, user: string, password: string) => {
      const response = await fetch(`${s.url}/auth?${query}`, { headers: { Authorization: basic(user, password), 'X-Forwarded-For': address } });
      return { status: response.status, body: (await response.json()) as any };
    };
    // Garbage as ci from four addresses (the account threshold), and refused tokens from a runner (the pair threshold).
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']) {
      assert.equal((await from(address, 'ci', 'garbage')).status, 401, address);
    }
    for (let i = 1; i <= 3; i += 1) assert.equal((await from('198.51.100.10', 'ci', await ciToken({ aud: 'other.example.com' }))).status, 401, `refused ${i}`);
    // A good job, on that runner and elsewhere: served.
    for (const address of ['198.51.100.10', '198.51.100.20']) {
      const good = await from(address, 'ci', await ciToken());
      assert.deepEqual([good.status, claimsOf(good.body.token).access], [200, [repo('group/app', 'pull')]], address);
    }
    // The address still counts: three more failures from the runner (six in all) block it, for every name.
    for (let i = 1; i <= 3; i += 1) assert.equal((await from('198.51.100.10', 'ci', 'garbage')).status, 401, `garbage ${i}`);
    assert.equal((await from('198.51.100.10', 'ci', await ciToken())).status, 429);
    // And KV users are throttled as before: three wrong passwords block the pair.
    for (let i = 1; i <= 3; i += 1) assert.equal((await from('198.51.100.30', 'foo', 'wrong')).status, 401, `foo ${i}`);
    assert.equal((await from('198.51.100.30', 'foo', 'bar-kv-Secret')).status, 429);
  });

  test('no log line (server log, audit log) holds a CI token, a part of one, or a Vault token', async () => {
    assert.ok(sent.length > 20);
    for (const s of servers) {
      const logs = `${s.logs()}${await readFile(path.join(s.dir, 'audit.log'), 'utf8').catch(() => '')}`;
      assert.notEqual(logs, '');
      for (const jwt of sent) {
        const [, payload = '', signature = ''] = jwt.split('.');
        assert.equal(logs.includes(payload), false, 'a JWT payload in the log');
        if (signature !== '') assert.equal(logs.includes(signature), false, 'a JWT signature in the log');
      }
      assert.equal(logs.includes(token), false, "the server's Vault token in the log");
      assert.doesNotMatch(logs, /hv[sbr]\.[A-Za-z0-9_-]{20,}/, 'a Vault token in the log');
    }
  });
});
