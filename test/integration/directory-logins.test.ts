/**
 * Directory logins end to end through our server: a real slapd (the demo
 * directory: musicians and philosophers), a real Vault whose `ldap` auth
 * method searches it with a service account and maps the LDAP group
 * `musicians` to the policy `registry-musicians`, and `userpass` beside it;
 * the registry's groups and static users in a KV v2 mount. Everything is set
 * up with the vault CLI, as the README tells an operator.
 *
 * The server's Vault token has only the policy the README gives it: read
 * on the users' mount and on identity/ (for `groups_from: identity_groups`),
 * nothing for the logins themselves (they carry no token). What the server
 * asked Vault is read from Vault's own file audit device. The directory and
 * Vault are cut with TCP proxies to show that an outage is a 503, never a
 * 401. Time (the user cache, remembered logins, the breaker) is a manual
 * clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { registerExplain } from '../../src/cli/explain.js';
import type { VaultStorageConfig } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/load.js';
import { ServerEvents } from '../../src/events.js';
import { hashPassword } from '../../src/passwords/hash.js';
import { openVaultClient } from '../../src/vault/open.js';
import { ManualClock } from '../helpers/clock.js';
import { freePort, waitFor } from '../helpers/net.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { requirePeers } from '../helpers/peers.js';
import { DEMO_PASSWORD, demoLdapConfig, SlapdServer } from '../helpers/slapd-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { basic, claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { serverToken, VaultAudit } from '../helpers/vault-audit.js';
import { lookupAccessor } from '../helpers/vault-admin.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault', 'slapd', 'ldapmodify');

const explain = (args: readonly string[], stdin?: string) => runInProcess([registerExplain], ['explain', ...args], stdin);
const BAD_CREDENTIALS = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const CHALLENGE = 'Basic realm="vault-registry-auth", charset="UTF-8"';
const CACHE_TTL_MS = 30_000;
const MUSIC_ACCESS = 'repository:music/**:pull,push';
const DEVS_ACCESS = 'repository:devs/**:pull,push';

/** The KV users of the demo, beside the directory: admin/badmin pushes and pulls, test/123 only pulls. */
const ADMIN = { password: 'badmin', access: 'repository:**:pull,push' };
const TEST_USER = { password: '123', access: 'repository:**:pull' };
/** Directory and userpass users this test adds, with passwords that can be searched for in the logs. */
const BRAHMS_PASSWORD = 'brahms-Secret-4f9d';
const HAYDN_PASSWORD = 'haydn-Secret-8c1e';
const ALICE_PASSWORD = 'alice-Secret-6b2a';
const CAROL_PASSWORD = 'carol-Secret-3d7f';
const EVE_PASSWORD = 'eve-Secret-9a5c';
const SCHUMANN_PASSWORD = 'schumann-Secret-2e6b';
const FRANK_PASSWORD = 'frank-Secret-5c8d';
const WRONG_PASSWORDS = ['not-admins-Secret-1', 'not-brahms-Secret-2', 'not-eves-Secret-3', 'not-schumanns-Secret-4'];

/** The server's Vault policy (README): read its KV v2 mount, and identity/ for groups_from: identity_groups. */
const SERVER_POLICY = `path "registry/data/*" {
  capabilities = ["read"]
}
path "identity/entity/id/*" {
  capabilities = ["read"]
}
path "identity/group/id/*" {
  capabilities = ["read"]
}
`;

const access = (name: string, ...actions: string[]) => ({ type: 'repository', name, actions });

describe('directory logins (LDAP and userpass through Vault)', { skip: peers.skip }, () => {
  const clock = new ManualClock(Date.now());
  let slapd: SlapdServer;
  let directory: TcpProxy;
  let vault: VaultServer;
  let vaultProxy: TcpProxy;
  let audit: VaultAudit;
  let server: TestServer;
  let work: string;
  let configFile: string;

  before(async () => {
    slapd = await SlapdServer.start({ slapd: peers.paths.slapd, ldapmodify: peers.paths.ldapmodify });
    directory = await TcpProxy.start(Number(new URL(slapd.url).port));
    vault = await VaultServer.start(peers.paths.vault);
    vaultProxy = await TcpProxy.start(Number(new URL(vault.address).port));
    audit = await VaultAudit.enable(vault);

    // The README's commands, in its order.
    await vault.cliOk('auth', 'enable', 'ldap');
    await configureLdap(`ldap://127.0.0.1:${directory.port}`);
    await vault.cliOk('write', 'auth/ldap/groups/musicians', 'policies=registry-musicians');
    await vault.cliOk('secrets', 'enable', '-path=registry', '-version=2', 'kv');
    await vault.cliOk('kv', 'put', 'registry/_groups/registry-musicians', `access=${MUSIC_ACCESS}`);
    await vault.cliOk('kv', 'put', 'registry/admin', `password=${await hashPassword(ADMIN.password, 'bcrypt')}`, `access=${ADMIN.access}`);
    await vault.cliOk('kv', 'put', 'registry/test', `password=${await hashPassword(TEST_USER.password, 'bcrypt')}`, `access=${TEST_USER.access}`);
    // A musician whose KV entry holds only access (no password): their rights beside the directory's.
    await vault.cliOk('kv', 'put', 'registry/bach', 'access=repository:bach/**:*');
    // A philosopher with an access-only entry: an entry without a password is no login.
    await vault.cliOk('kv', 'put', 'registry/kant', 'access=repository:**:*');

    await vault.cliOk('auth', 'enable', 'userpass');
    await vault.cliOk('write', 'auth/userpass/users/alice', `password=${ALICE_PASSWORD}`, 'token_policies=registry-musicians');
    await vault.cliOk('write', 'auth/userpass/users/carol', `password=${CAROL_PASSWORD}`);
    await vault.cliOk('write', 'auth/userpass/users/eve', `password=${EVE_PASSWORD}`);
    // carol in the identity group registry-devs: an entity, its alias on the userpass mount, an internal group.
    const accessor: string = JSON.parse(await vault.cliOk('auth', 'list', '-format=json'))['userpass/'].accessor;
    const entityId = (await vault.cliOk('write', '-field=id', 'identity/entity', 'name=carol')).trim();
    await vault.cliOk('write', 'identity/entity-alias', 'name=carol', `canonical_id=${entityId}`, `mount_accessor=${accessor}`);
    await vault.cliOk('write', 'identity/group', 'name=registry-devs', 'type=internal', `member_entity_ids=${entityId}`);
    await vault.cliOk('kv', 'put', 'registry/_groups/registry-devs', `access=${DEVS_ACCESS}`);

    // The server's policy: its mount, and identity/ for identity_groups. Nothing for the logins.
    work = await mkdtemp(path.join(os.tmpdir(), 'vra-directory-'));
    await writeFile(path.join(work, 'vault-registry-auth.hcl'), SERVER_POLICY);
    await vault.cliOk('policy', 'write', 'vault-registry-auth', path.join(work, 'vault-registry-auth.hcl'));
    await writeFile(path.join(work, 'kv-only.hcl'), SERVER_POLICY.split('path "identity/')[0] as string);
    const token = await serverToken(vault, ['vault-registry-auth']);
    // explain reads the server's configuration file, with Vault's own address.
    configFile = path.join(work, 'config.yml');
    await writeFile(
      configFile,
      yaml.dump({
        storage: { vault: { addr: vault.address, auth_token: token.token } },
        token: { issuer: 'vra-test', expiration: 300, certificate: 'token.pem', key: 'token.key' },
        services: [{ name: 'registry', logins: ['kv', { vault_auth: 'ldap' }] }],
      }),
    );

    server = await startTestServer(
      {
        storage: { vault: { addr: `http://127.0.0.1:${vaultProxy.port}`, auth_token: token.token, timeout: '2s' } },
        cache: { ttl: '30s' },
        services: [
          { name: 'registry', logins: ['kv', { vault_auth: 'ldap' }] },
          { name: 'userpass', mount: 'registry', logins: ['kv', { vault_auth: 'userpass' }] },
          { name: 'identity', mount: 'registry', logins: [{ vault_auth: 'userpass' }], groups_from: 'identity_groups' },
          { name: 'metadata', mount: 'registry', logins: [{ vault_auth: 'userpass' }], groups_from: 'metadata' },
        ],
        // Some tests send refused requests on purpose.
        throttle: { enabled: false },
      },
      { clock },
    );
  });

  after(async () => {
    await server?.close();
    await vaultProxy?.close();
    await vault?.stop();
    await audit?.remove();
    await directory?.close();
    await slapd?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `vault write auth/ldap/config …` as the README gives it, with the directory at `url`. */
  async function configureLdap(url: string): Promise<void> {
    await vault.cliOk('write', 'auth/ldap/config', ...demoLdapConfig(url, slapd.baseDn));
  }

  /** How many requests Vault received on `path`. */
  async function requestsTo(apiPath: string): Promise<number> {
    return (await audit.entries()).filter((entry) => entry.type === 'request' && entry.request?.path === apiPath).length;
  }

  async function ldapLogins(): Promise<number> {
    return (await audit.entries()).filter((entry) => entry.type === 'request' && entry.request?.path?.startsWith('auth/ldap/login/')).length;
  }

  const token = (service: string, scopes: string[], credentials: [string, string]) =>
    getToken(server, [`service=${service}`, ...scopes.map((scope) => `scope=${encodeURIComponent(scope)}`)].join('&'), credentials);

  /** The access claim of the token, asserting a 200 whose subject is the name that logged in. */
  async function granted(service: string, scopes: string[], credentials: [string, string]): Promise<unknown> {
    const answer = await token(service, scopes, credentials);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(claimsOf(answer.body.token).sub, credentials[0]);
    return claimsOf(answer.body.token).access;
  }

  async function refused(service: string, credentials: [string, string]): Promise<void> {
    const answer = await token(service, ['repository:music/symphony:pull'], credentials);
    assert.deepEqual({ status: answer.status, body: answer.body }, { status: 401, body: BAD_CREDENTIALS }, credentials[0]);
    assert.equal(answer.headers.get('www-authenticate'), CHALLENGE);
  }

  test('a musician (LDAP group musicians → policy registry-musicians → KV group) pushes and pulls, one LDAP login', async () => {
    assert.deepEqual(await granted('registry', ['repository:music/symphony:pull,push', 'repository:other/app:pull'], ['mozart', DEMO_PASSWORD]), [
      access('music/symphony', 'pull', 'push'),
    ]);
    assert.equal(await requestsTo('auth/ldap/login/mozart'), 1);
  });

  test('a philosopher (outside userdn) gets the 401 of a wrong password, after an LDAP login was tried; an access-only KV entry changes nothing', async () => {
    await refused('registry', ['kant', DEMO_PASSWORD]);
    await refused('registry', ['schopenhauer', DEMO_PASSWORD]);
    assert.equal(await requestsTo('auth/ldap/login/kant'), 1);
    assert.equal(await requestsTo('auth/ldap/login/schopenhauer'), 1);
  });

  test('the KV users admin and test get their KV rights, and Vault sees no LDAP login for them', async () => {
    const scopes = ['repository:music/symphony:pull,push', 'repository:team/app:push,pull'];
    assert.deepEqual(await granted('registry', scopes, ['admin', ADMIN.password]), [
      access('music/symphony', 'pull', 'push'),
      access('team/app', 'push', 'pull'),
    ]);
    assert.deepEqual(await granted('registry', scopes, ['test', TEST_USER.password]), [access('music/symphony', 'pull'), access('team/app', 'pull')]);
    assert.equal(await requestsTo('auth/ldap/login/admin'), 0);
    assert.equal(await requestsTo('auth/ldap/login/test'), 0);
  });

  test("a KV user's wrong password: 401, and it never becomes an LDAP login under the same name", async () => {
    await refused('registry', ['admin', WRONG_PASSWORDS[0] as string]);
    // Even the password of a directory account is only compared with the KV hash.
    await refused('registry', ['test', DEMO_PASSWORD]);
    assert.equal(await requestsTo('auth/ldap/login/admin'), 0);
    assert.equal(await requestsTo('auth/ldap/login/test'), 0);
  });

  test('a musician with an access-only KV entry gets the union of the entry and the directory group', async () => {
    assert.deepEqual(
      await granted(
        'registry',
        ['repository:music/fugue:push', 'repository:bach/tools:pull,push,delete', 'repository:other/app:pull'],
        ['bach', DEMO_PASSWORD],
      ),
      [access('music/fugue', 'push'), access('bach/tools', 'pull', 'push', 'delete')],
    );
  });

  test('explain --password-stdin logs in as the server does: the directory group and the KV entry, and the same token', async () => {
    const scopes = ['repository:music/fugue:push', 'repository:bach/tools:push', 'repository:other/app:pull'];
    const result = await explain(['-c', configFile, 'registry', 'bach', '--password-stdin', ...scopes], `${DEMO_PASSWORD}\n`);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    assert.deepEqual(result.stdout.trimEnd().split('\n'), [
      'login: ldap login, groups registry-musicians',
      `repository:music/fugue push: granted by group registry-musicians (from the ldap login) (${MUSIC_ACCESS})`,
      'repository:bach/tools push: granted by the user (repository:bach/**:*)',
      'repository:other/app pull: denied, no entry names this repository',
      'token: repository:music/fugue:push repository:bach/tools:push',
    ]);
    assert.deepEqual(await granted('registry', scopes, ['bach', DEMO_PASSWORD]), [access('music/fugue', 'push'), access('bach/tools', 'push')]);
  });

  test('explain: a refused login is the 401 the server answers; a directory user needs --password-stdin or --groups', async () => {
    assert.deepEqual(await explain(['-c', configFile, 'registry', 'kant', '--password-stdin', 'repository:music/fugue:pull'], `${DEMO_PASSWORD}\n`), {
      code: 1,
      stdout: '',
      stderr: 'vault-registry-auth: the login of "kant" to registry is refused: the server answers 401\n',
    });
    assert.deepEqual(await explain(['-c', configFile, 'registry', 'mozart', 'repository:music/fugue:pull']), {
      code: 1,
      stdout: '',
      stderr:
        'vault-registry-auth: USER: there is no user "mozart" in registry (for a directory or CI user: --password-stdin, or --groups with their groups)\n',
    });
    const byHand = await explain(['-c', configFile, 'registry', 'mozart', '--groups', 'registry-musicians', 'repository:music/fugue:pull']);
    assert.deepEqual([byHand.code, byHand.stderr], [0, '']);
    assert.deepEqual(byHand.stdout.trimEnd().split('\n'), [
      'login: directory login (--groups), groups registry-musicians',
      `repository:music/fugue pull: granted by group registry-musicians (from the directory login (--groups)) (${MUSIC_ACCESS})`,
      'token: repository:music/fugue:pull',
    ]);
  });

  test('a directory user with no KV entry and no mapped group: 200 with an empty access', async () => {
    await slapd.addUser({ uid: 'haydn', ou: 'musicians', password: HAYDN_PASSWORD, cn: 'Joseph Haydn', sn: 'Haydn' });
    const answer = await token('registry', ['repository:music/symphony:pull'], ['haydn', HAYDN_PASSWORD]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(claimsOf(answer.body.token).access, []);
    assert.equal(claimsOf(answer.body.token).sub, 'haydn');
  });

  test('an empty password: 401 and no Vault login (an LDAP unauthenticated bind would succeed with any name)', async () => {
    const before = await ldapLogins();
    await refused('registry', ['mozart', '']);
    await refused('registry', ['nobody', '']);
    assert.equal(await ldapLogins(), before);
  });

  test('LDAP filter characters in the name log nobody in', async () => {
    for (const name of ['*', 'moz*', 'mozart)(uid=*', '*)(|(uid=*']) await refused('registry', [name, DEMO_PASSWORD]);
  });

  test('50 identical requests at once: exactly one LDAP login in Vault, every answer the same 200', async () => {
    const dn = await slapd.addUser({ uid: 'brahms', ou: 'musicians', password: BRAHMS_PASSWORD, cn: 'Johannes Brahms', sn: 'Brahms' });
    await slapd.addToGroup('musicians', dn);
    const answers = await Promise.all(Array.from({ length: 50 }, () => token('registry', ['repository:music/requiem:pull,push'], ['brahms', BRAHMS_PASSWORD])));
    assert.deepEqual(
      answers.map((answer) => [answer.status, claimsOf(answer.body.token).access]),
      answers.map(() => [200, [access('music/requiem', 'pull', 'push')]]),
    );
    assert.equal(await requestsTo('auth/ldap/login/brahms'), 1);
  });

  test('POST (the OAuth2 password grant): the exact body; no refresh token for a directory login, even when asked', async () => {
    const post = async (fields: Record<string, string>) => {
      const response = await fetch(`${server.url}/auth`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', client_id: 'docker', service: 'registry', ...fields }).toString(),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const ok = await post({ username: 'brahms', password: BRAHMS_PASSWORD, scope: 'repository:music/requiem:pull,push', access_type: 'offline' });
    assert.equal(ok.status, 200);
    const claims = claimsOf(ok.body.access_token);
    assert.deepEqual(ok.body, {
      access_token: ok.body.access_token,
      scope: 'repository:music/requiem:pull,push',
      expires_in: 300,
      issued_at: new Date(claims.iat * 1000).toISOString().replace('.000Z', 'Z'),
    });
    assert.deepEqual([claims.sub, claims.access], ['brahms', [access('music/requiem', 'pull', 'push')]]);
    const description = 'invalid username or password';
    assert.deepEqual(await post({ username: 'kant', password: DEMO_PASSWORD }), {
      status: 401,
      body: { error: 'invalid_grant', error_description: description, details: description },
    });
    // GET with offline_token=true: no refresh token either.
    const get = await getToken(server, 'service=registry&offline_token=true&scope=repository:music/requiem:pull', ['brahms', BRAHMS_PASSWORD]);
    assert.equal(get.status, 200);
    assert.deepEqual(Object.keys(get.body).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
  });

  test('taken out of the LDAP group: still pushes within the cache TTL, no push once it has passed', async () => {
    await slapd.removeFromGroup('musicians', `uid=mozart,ou=musicians,${slapd.baseDn}`);
    const scopes = ['repository:music/symphony:pull,push'];
    assert.deepEqual(await granted('registry', scopes, ['mozart', DEMO_PASSWORD]), [access('music/symphony', 'pull', 'push')]);
    assert.equal(await requestsTo('auth/ldap/login/mozart'), 1);
    clock.advance(CACHE_TTL_MS + 1);
    assert.deepEqual(await granted('registry', scopes, ['mozart', DEMO_PASSWORD]), []);
    assert.equal(await requestsTo('auth/ldap/login/mozart'), 2);
  });

  test('userpass with a mapped policy (groups_from: policies): the KV group of that policy', async () => {
    assert.deepEqual(await granted('userpass', ['repository:music/song:pull,push', 'repository:devs/app:pull'], ['alice', ALICE_PASSWORD]), [
      access('music/song', 'pull', 'push'),
    ]);
    // The other ways of the service stay what they were: a KV user logs in as before.
    assert.deepEqual(await granted('userpass', ['repository:team/app:pull,push'], ['test', TEST_USER.password]), [access('team/app', 'pull')]);
  });

  test('userpass: a wrong password (Vault answers 500) and an unknown user (400) are a 401, never a 503, and never open the breaker', async () => {
    // Four: Vault locks a userpass account out at the fifth.
    for (let i = 0; i < 4; i += 1) await refused('userpass', ['eve', WRONG_PASSWORDS[2] as string]);
    await refused('userpass', ['nobody', EVE_PASSWORD]);
    assert.deepEqual(await granted('userpass', ['repository:music/song:pull'], ['alice', ALICE_PASSWORD]), [access('music/song', 'pull')]);
    const eveAnswers = (await audit.entries()).filter((entry) => entry.type === 'response' && entry.request?.path === 'auth/userpass/login/eve');
    assert.equal(eveAnswers.length, 4);
  });

  test('groups_from: identity_groups: a userpass user in an identity group (entity alias on the userpass mount) gets that KV group', async () => {
    assert.deepEqual(await granted('identity', ['repository:devs/app:pull,push', 'repository:music/song:pull'], ['carol', CAROL_PASSWORD]), [
      access('devs/app', 'pull', 'push'),
    ]);
    // Through a service reading policies, carol (no policies) gets nothing; alice, no entity group, nothing here.
    assert.deepEqual(await granted('userpass', ['repository:devs/app:pull'], ['carol', CAROL_PASSWORD]), []);
    assert.deepEqual(await granted('identity', ['repository:devs/app:pull', 'repository:music/song:pull'], ['alice', ALICE_PASSWORD]), []);
  });

  test("without read on identity/ in the server's policy, identity groups give nothing, and the log says what is missing", async () => {
    await vault.cliOk('policy', 'write', 'kv-only', path.join(work, 'kv-only.hcl'));
    const kvOnly = await serverToken(vault, ['kv-only']);
    const other = await startTestServer(
      {
        storage: { vault: { addr: vault.address, auth_token: kvOnly.token, timeout: '2s' } },
        services: [{ name: 'identity', mount: 'registry', logins: [{ vault_auth: 'userpass' }], groups_from: 'identity_groups' }],
        throttle: { enabled: false },
      },
      { clock },
    );
    try {
      const answer = await getToken(other, 'service=identity&scope=repository:devs/app:pull', ['carol', CAROL_PASSWORD]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(claimsOf(answer.body.token).access, []);
      const warnings = other
        .logs()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.message === "part of a user's rights cannot be used");
      assert.deepEqual(warnings, [
        {
          level: 'warn',
          message: "part of a user's rights cannot be used",
          service: 'identity',
          account: 'carol',
          problem:
            "the server's Vault token may not read the login's identity entity: identity groups need read on identity/entity/id/* and identity/group/id/* in its policy",
        },
      ]);
    } finally {
      await other.close();
    }
  });

  test('groups_from: metadata: userpass puts no groups in the metadata, so its policies grant nothing there', async () => {
    assert.deepEqual(await granted('metadata', ['repository:music/song:pull', 'repository:devs/app:pull'], ['alice', ALICE_PASSWORD]), []);
  });

  test('the directory down behind Vault (Vault 1.13 answers 400 "error connecting to host"): 503 with the Docker body, never 401', async () => {
    // slapd gone: nothing listens where Vault looks for it.
    await configureLdap(`ldap://127.0.0.1:${await freePort()}`);
    try {
      // haydn's KV lookup is cached (no entry); his login is remembered for his password only.
      for (const password of [`${HAYDN_PASSWORD}-new`, 'another-password']) {
        const answer = await token('registry', ['repository:music/symphony:pull'], ['haydn', password]);
        assert.deepEqual({ status: answer.status, body: answer.body }, { status: 503, body: UNAVAILABLE });
        assert.equal(answer.headers.get('retry-after'), '5');
      }
    } finally {
      await configureLdap(`ldap://127.0.0.1:${directory.port}`);
    }
  });

  test('the directory hangs: 503 once the storage timeout has passed, never 401', async () => {
    directory.set('stall');
    try {
      const answer = await token('registry', ['repository:music/symphony:pull'], ['haydn', 'a-third-password']);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: 503, body: UNAVAILABLE });
    } finally {
      directory.set('forward');
    }
    assert.deepEqual(await granted('registry', ['repository:music/symphony:pull'], ['haydn', HAYDN_PASSWORD]), []);
  });

  test('Vault cut: 503 with the Docker body (GET) and temporarily_unavailable (POST), never 401', async () => {
    // Warm the user cache for brahms (no entry), so that only the login needs Vault.
    clock.advance(CACHE_TTL_MS + 1);
    await refused('registry', ['brahms', WRONG_PASSWORDS[1] as string]);
    vaultProxy.set('cut');
    try {
      const answer = await token('registry', ['repository:music/symphony:pull'], ['brahms', BRAHMS_PASSWORD]);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status: 503, body: UNAVAILABLE });
      assert.equal(answer.headers.get('retry-after'), '5');
      const response = await fetch(`${server.url}/auth`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'docker',
          service: 'registry',
          username: 'brahms',
          password: BRAHMS_PASSWORD,
        }).toString(),
      });
      const description = 'the user store is unavailable, try again later';
      assert.deepEqual(
        { status: response.status, body: await response.json() },
        { status: 503, body: { error: 'temporarily_unavailable', error_description: description, details: description } },
      );
    } finally {
      vaultProxy.set('forward');
    }
    clock.advance(10_000);
    assert.deepEqual(await granted('registry', ['repository:music/symphony:pull'], ['brahms', BRAHMS_PASSWORD]), [access('music/symphony', 'pull')]);
  });

  test('Vault locks a directory account after 5 wrong passwords: then the right one is a 401 too, until it is unlocked', async () => {
    const dn = await slapd.addUser({ uid: 'schumann', ou: 'musicians', password: SCHUMANN_PASSWORD, cn: 'Robert Schumann', sn: 'Schumann' });
    await slapd.addToGroup('musicians', dn);
    for (let i = 0; i < 5; i += 1) await refused('registry', ['schumann', WRONG_PASSWORDS[3] as string]);
    // Vault answers the locked account with 403 "permission denied": bad credentials to the client, not an outage.
    await refused('registry', ['schumann', SCHUMANN_PASSWORD]);
    const accessor: string = JSON.parse(await vault.cliOk('auth', 'list', '-format=json'))['ldap/'].accessor;
    await vault.cliOk('write', '-f', `sys/locked-users/${accessor}/unlock/schumann`);
    assert.deepEqual(await granted('registry', ['repository:music/lied:push'], ['schumann', SCHUMANN_PASSWORD]), [access('music/lied', 'push')]);
  });

  test("a login token's revocation in flight when the Vault client closes (explain's end, a shutdown) still reaches Vault", async () => {
    await vault.cliOk('write', 'auth/userpass/users/frank', `password=${FRANK_PASSWORD}`);
    const login = await fetch(`${vault.address}/v1/auth/userpass/login/frank`, { method: 'POST', body: JSON.stringify({ password: FRANK_PASSWORD }) });
    const { client_token: userToken, accessor } = ((await login.json()) as { auth: { client_token: string; accessor: string } }).auth;
    const document = {
      storage: { vault: { addr: `http://127.0.0.1:${vaultProxy.port}`, auth_token: ROOT_TOKEN } },
      token: { issuer: 'vra-test', expiration: 300, certificate: 'token.pem', key: 'token.key' },
    };
    const client = await openVaultClient(parseConfig(document, work).storage as VaultStorageConfig, clock, new ServerEvents());
    // Vault slow to answer: the revocation is still on its way when the client closes.
    vaultProxy.set('slow', 300);
    try {
      const revoked = client.revokeSelf(userToken);
      client.close();
      assert.equal(await revoked, true);
    } finally {
      vaultProxy.set('forward');
    }
    assert.equal(await lookupAccessor(vault, accessor), null);
  });

  test("every login's Vault token is revoked (a revoke-self with it in Vault's audit log)", async () => {
    const logins = (await audit.entries()).filter(
      (entry) => entry.type === 'response' && /^auth\/(ldap|userpass)\/login\//u.test(entry.request?.path ?? '') && entry.response?.auth?.accessor,
    );
    const perPath: Record<string, number> = {};
    for (const entry of logins) perPath[entry.request?.path ?? ''] = (perPath[entry.request?.path ?? ''] ?? 0) + 1;
    // Each login once per cache TTL and service: bach by the server and by explain, mozart and haydn
    // before and after the clock moved, brahms
    // before and after the outage, schumann once unlocked, alice through three services, carol through
    // two and the second server, frank by the test itself.
    assert.deepEqual(perPath, {
      'auth/ldap/login/mozart': 2,
      'auth/ldap/login/bach': 2,
      'auth/ldap/login/haydn': 2,
      'auth/ldap/login/brahms': 2,
      'auth/ldap/login/schumann': 1,
      'auth/userpass/login/alice': 3,
      'auth/userpass/login/carol': 3,
      'auth/userpass/login/frank': 1,
    });
    const accessors = logins.map((entry) => entry.response?.auth?.accessor);
    // Revocation runs in the background: it may land just after the answer.
    await waitFor(
      'a revoke-self for every login token',
      async () => {
        const revoked = new Set(
          (await audit.entries())
            .filter((entry) => entry.type === 'request' && entry.request?.path === 'auth/token/revoke-self')
            .map((entry) => entry.auth?.accessor),
        );
        return accessors.every((accessor) => revoked.has(accessor));
      },
      10_000,
    );
  });

  test('the log holds no password, no Basic header and no Vault token', () => {
    const logs = server.logs();
    assert.ok(logs.length > 0);
    for (const secret of [
      BRAHMS_PASSWORD,
      HAYDN_PASSWORD,
      SCHUMANN_PASSWORD,
      ALICE_PASSWORD,
      CAROL_PASSWORD,
      EVE_PASSWORD,
      ADMIN.password,
      ...WRONG_PASSWORDS,
    ]) {
      assert.ok(!logs.includes(secret), `the log holds the password ${secret}`);
    }
    assert.ok(!logs.includes(basic('mozart', DEMO_PASSWORD).slice('Basic '.length)));
    assert.doesNotMatch(logs, /hvs\.[A-Za-z0-9_-]{8,}|"s\.[A-Za-z0-9]{20,}/u);
  });
});
