/**
 * The realm endpoint against a real Vault server in dev mode (OpenBao or
 * HashiCorp Vault), with a KV v1 and a KV v2 mount, users written with the
 * vault CLI exactly as the README says.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { serve } from '../helpers/cli.js';
import { makeKey } from '../helpers/keys.js';
import { freePort } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { basic, claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const BAD_CREDENTIALS = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };

describe('against a real Vault', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let server: TestServer;
  let serverToken: string;
  let serverAccessor: string;
  let auditFile: string;

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    auditFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'vra-audit-')), 'audit.log');
    await vault.api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: auditFile, hmac_accessor: 'false' } });
    await vault.enableKv('registry', 1);
    await vault.enableKv('registry2', 2);
    await vault.api('POST', 'sys/mounts/pki', { type: 'pki' });
    await vault.putUser('registry', 1, 'foo', 'bar-v1-Secret', 'repository:linux/app:*;repository:linux/db:pull');
    await vault.putUser('registry2', 2, 'foo', 'bar-v2-Secret', 'repository:linux/db:*;registry:catalog:*');
    await vault.putUser('registry', 1, 'empty', 'empty-Secret', '');

    // The server gets its own token, so the audit log shows what it read.
    const created = await vault.api('POST', 'auth/token/create', { policies: ['root'] });
    const auth = (created.body as { auth: { client_token: string; accessor: string } }).auth;
    serverToken = auth.client_token;
    serverAccessor = auth.accessor;
    // No user cache here: every request reads Vault, as Godoauth did (the
    // cache has its own tests in vault-cache.test.ts).
    // Throttling off: some tests here send many refused requests from one address on purpose.
    server = await startTestServer({
      storage: { vault: { addr: vault.address, auth_token: serverToken, timeout: '2s' } },
      cache: { ttl: 0 },
      throttle: { enabled: false },
    });
  });

  after(async () => {
    await server?.close();
    await vault?.stop();
    if (auditFile) await rm(path.dirname(auditFile), { recursive: true, force: true });
  });

  test('KV v1 (written with `vault write`): 200 with the intersection, verified with the certificate', async () => {
    const { status, body } = await getToken(server, 'service=registry&scope=repository:linux/app:pull,push&scope=repository:linux/db:push,pull', [
      'foo',
      'bar-v1-Secret',
    ]);
    assert.equal(status, 200);
    const { payload } = await jwtVerify(body.token, new X509Certificate(server.certificatePem).publicKey, { issuer: 'vra-test', audience: 'registry' });
    assert.equal(payload.sub, 'foo');
    assert.deepEqual(payload.access, [
      { type: 'repository', name: 'linux/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'linux/db', actions: ['pull'] },
    ]);
  });

  test('KV v2 (written with `vault kv put`), detected per mount', async () => {
    const { status, body } = await getToken(server, 'service=registry2&scope=repository:linux/db:pull,push&scope=registry:catalog:*', ['foo', 'bar-v2-Secret']);
    assert.equal(status, 200);
    assert.equal(claimsOf(body.token).aud, 'registry2');
    assert.deepEqual(claimsOf(body.token).access, [
      { type: 'repository', name: 'linux/db', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    // The same user name in the other mount has the other password.
    assert.equal((await getToken(server, 'service=registry2', ['foo', 'bar-v1-Secret'])).status, 401);
  });

  test('an empty access string: 200 with empty access, no crash', async () => {
    const { status, body } = await getToken(server, 'service=registry&scope=repository:linux/app:pull', ['empty', 'empty-Secret']);
    assert.equal(status, 200);
    assert.deepEqual(claimsOf(body.token).access, []);
  });

  test('unknown user and wrong password: the same 401, on both KV versions', async () => {
    for (const service of ['registry', 'registry2']) {
      const wrong = await getToken(server, `service=${service}&scope=repository:linux/db:pull`, ['foo', 'nope']);
      const unknown = await getToken(server, `service=${service}&scope=repository:linux/db:pull`, ['nobody', 'nope']);
      assert.deepEqual([wrong.status, wrong.body], [401, BAD_CREDENTIALS]);
      assert.deepEqual([unknown.status, unknown.body], [401, BAD_CREDENTIALS]);
      assert.equal(wrong.headers.get('www-authenticate'), unknown.headers.get('www-authenticate'));
    }
  });

  test('a user whose entry is deleted is refused on the next request', async () => {
    await vault.putUser('registry', 1, 'leaver', 'leaver-Secret', 'repository:linux/app:pull');
    await vault.putUser('registry2', 2, 'leaver', 'leaver-Secret', 'repository:linux/app:pull');
    for (const [mount, version] of [
      ['registry', 1],
      ['registry2', 2],
    ] as const) {
      assert.equal((await getToken(server, `service=${mount}`, ['leaver', 'leaver-Secret'])).status, 200);
      await vault.deleteUser(mount, version, 'leaver');
      const after = await getToken(server, `service=${mount}`, ['leaver', 'leaver-Secret']);
      assert.deepEqual([after.status, after.body], [401, BAD_CREDENTIALS]);
    }
  });

  test('services that are not KV mounts are refused before anything is read, as bad credentials (no enumeration)', async () => {
    for (const service of ['sys', 'auth', 'identity', 'cubbyhole', 'pki', 'no-such-mount']) {
      const { status, body, headers } = await getToken(server, `service=${service}&scope=repository:x:pull`, ['foo', 'bar-v1-Secret']);
      assert.deepEqual([status, body], [401, BAD_CREDENTIALS], service);
      assert.equal(headers.get('www-authenticate'), 'Basic realm="vault-registry-auth", charset="UTF-8"');
    }
    for (const service of ['sys/mounts', '../sys', 'registry/../sys', '%2e%2e']) {
      const { status } = await getToken(server, `service=${encodeURIComponent(service)}`, ['foo', 'bar-v1-Secret']);
      assert.equal(status, 400, service);
    }
    const hostile = ['..', 'sys/../registry/foo', 'foo/../../sys', 'foo?x=1', 'foo#', 'foo%2fbar'];
    for (const user of hostile) {
      const { status } = await getToken(server, 'service=registry', [user, 'bar-v1-Secret']);
      assert.equal(status, 401, user);
    }

    // Vault's audit log: every path the server's token ever touched.
    const paths = (await readFile(auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; auth?: { accessor?: string }; request?: { path?: string } })
      .filter((entry) => entry.type === 'request' && entry.auth?.accessor === serverAccessor)
      .map((entry) => entry.request?.path ?? '');
    assert.ok(paths.length > 0);
    const allowed = /^(?:sys\/internal\/ui\/mounts\/(?:registry2?|pki|no-such-mount)|registry\/[^/]+|registry2\/data\/[^/]+|auth\/token\/lookup-self)$/u;
    assert.deepEqual(
      paths.filter((p) => !allowed.test(p)),
      [],
    );
    assert.equal(
      paths.some((p) => p.startsWith('pki/')),
      false,
    );
  });

  test('warnings a client can cause are rate-limited: 40 made-up services write at most 10 lines a minute', async () => {
    for (let i = 0; i < 40; i++) {
      const { status } = await getToken(server, `service=made-up-${i}`, ['foo', 'bar-v1-Secret']);
      assert.equal(status, 401);
    }
    const warnings = server
      .logs()
      .split('\n')
      .filter((line) => line.includes('a request named a service that is no user store'));
    assert.equal(warnings.length, 10);
  });

  test('the log never holds a password, a token or the Vault token', () => {
    const logs = server.logs();
    for (const secret of [serverToken, ROOT_TOKEN, 'bar-v1-Secret', 'bar-v2-Secret', 'leaver-Secret']) {
      assert.equal(logs.includes(secret), false);
    }
    assert.match(logs, /no services list configured/u);
  });

  test('a services list maps service names to mounts, even a folder inside a mount', async () => {
    await vault.putUser('secret/registry-users', 2, 'zed', 'zed-Secret', 'repository:team/app:pull');
    const mapped = await startTestServer({
      storage: { vault: { addr: vault.address, auth_token: serverToken } },
      services: [
        { name: 'registry', mount: 'registry2' },
        { name: 'nested', mount: 'secret/registry-users' },
      ],
    });
    try {
      assert.equal((await getToken(mapped, 'service=registry', ['foo', 'bar-v2-Secret'])).status, 200);
      const nested = await getToken(mapped, 'service=nested&scope=repository:team/app:pull', ['zed', 'zed-Secret']);
      assert.equal(nested.status, 200);
      assert.deepEqual(claimsOf(nested.body.token).access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
      const other = await getToken(mapped, 'service=registry2', ['foo', 'bar-v2-Secret']);
      assert.deepEqual([other.status, other.body.errors[0].code], [400, 'UNKNOWN_SERVICE']);
      assert.doesNotMatch(mapped.logs(), /no services list configured/u);
    } finally {
      await mapped.close();
    }
  });

  test('Vault unreachable, hanging or cut: a clear 503, and back to 200 when it returns', async () => {
    const proxy = await TcpProxy.start(Number(new URL(vault.address).port));
    const proxied = await startTestServer({
      storage: { vault: { addr: `http://127.0.0.1:${proxy.port}`, auth_token: serverToken, timeout: '1s' } },
      cache: { ttl: 0 },
    });
    try {
      const ask = () => getToken(proxied, 'service=registry&scope=repository:linux/app:pull', ['foo', 'bar-v1-Secret']);
      assert.equal((await ask()).status, 200);
      for (const mode of ['cut', 'stall'] as const) {
        proxy.set(mode);
        // Twice: the first request may meet the pooled connection being
        // dropped; the second opens a new one, which is cut or hangs.
        for (const attempt of [1, 2]) {
          const answer = await ask();
          assert.deepEqual([answer.status, answer.body], [503, UNAVAILABLE], `${mode}, attempt ${attempt}`);
        }
        proxy.set('forward');
        assert.equal((await ask()).status, 200, `after ${mode}`);
      }
      // One line per transition, not one per failed request.
      const lines = proxied
        .logs()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { message: string; reason?: string });
      const lost = lines.filter((line) => line.message.startsWith('Vault lost'));
      assert.deepEqual(
        lost.map((line) => line.reason),
        ['Vault cannot be reached: the connection was cut', 'Vault did not answer in time'],
      );
      assert.equal(lines.filter((line) => line.message === 'Vault back').length, 2);
    } finally {
      await proxied.close();
      await proxy.close();
    }

    const nowhere = await startTestServer({ storage: { vault: { addr: `http://127.0.0.1:${await freePort()}`, auth_token: 'x', timeout: '1s' } } });
    try {
      const answer = await getToken(nowhere, 'service=registry', ['foo', 'bar']);
      assert.deepEqual([answer.status, answer.body], [503, UNAVAILABLE]);
    } finally {
      await nowhere.close();
    }
  });

  test('a sealed Vault: 503', async () => {
    const sealed = await VaultServer.start(peers.paths.vault);
    const target = await startTestServer({ storage: { vault: { addr: sealed.address, auth_token: ROOT_TOKEN, timeout: '2s' } }, cache: { ttl: 0 } });
    try {
      await sealed.enableKv('registry', 1);
      await sealed.putUser('registry', 1, 'foo', 'bar', 'repository:a:pull');
      assert.equal((await getToken(target, 'service=registry', ['foo', 'bar'])).status, 200);
      assert.equal((await sealed.api('PUT', 'sys/seal')).status, 204);
      const answer = await getToken(target, 'service=registry', ['foo', 'bar']);
      assert.deepEqual([answer.status, answer.body], [503, UNAVAILABLE]);
      assert.match(target.logs(), /Vault is sealed or unavailable/u);
    } finally {
      await target.close();
      await sealed.stop();
    }
  });

  test('a Godoauth configuration file starts the server unchanged (TLS included)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-godoauth-'));
    try {
      const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/godoauth.yml');
      const key = await makeKey('rsa');
      await mkdir(path.join(dir, 'certs'));
      await writeFile(path.join(dir, 'certs', 'server.key'), key.keyPem);
      await writeFile(path.join(dir, 'certs', 'server.pem'), key.certificatePem);
      // Only the values that differ on this machine change: never a key.
      const text = (await readFile(fixture, 'utf8'))
        .replace('port: 8200', `port: ${new URL(vault.address).port}`)
        .replace('auth_token: dbXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXX', `auth_token: ${serverToken}`)
        .replace('addr: :5002', `addr: :${await freePort()}`)
        .replace('file: /tmp/godoauth.log', `file: ${path.join(dir, 'godoauth.log')}`);
      const configFile = path.join(dir, 'config.yml');
      await writeFile(configFile, text);
      const running = await serve(configFile);
      try {
        assert.match(running.url, /^https:/u);
        const port = new URL(running.url.replace('[::]', 'localhost')).port;
        const { status, body } = await httpsGetJson(`https://127.0.0.1:${port}/auth?service=registry&scope=repository:linux/app:push`, key.certificatePem, [
          'foo',
          'bar-v1-Secret',
        ]);
        assert.equal(status, 200);
        const { payload } = await jwtVerify(body.token, new X509Certificate(key.certificatePem).publicKey, { issuer: 'Token', audience: 'registry' });
        assert.deepEqual(payload.access, [{ type: 'repository', name: 'linux/app', actions: ['push'] }]);
        assert.equal(body.expires_in, 800);
      } finally {
        await running.daemon.stop();
      }
      assert.match(await readFile(path.join(dir, 'godoauth.log'), 'utf8'), /"message":"request"/u);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** GET over HTTPS trusting exactly `ca` (the host name is not checked: the test certificate names no host). */
function httpsGetJson(url: string, ca: string, [user, password]: [string, string]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, checkServerIdentity: () => undefined, headers: { Authorization: basic(user, password) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
  });
}
