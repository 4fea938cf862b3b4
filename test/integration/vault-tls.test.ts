/**
 * The Vault connection settings against a real Vault server in dev mode:
 * TLS listeners added with a config file (a CA of the test's own making),
 * the CA as a file and as a folder, a CA that did not sign Vault's
 * certificate, mTLS, a server name other than the address, and the
 * namespace header as it goes on the wire.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { freePort } from '../helpers/net.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { requirePeers } from '../helpers/peers.js';
import { makeCa } from '../helpers/test-ca.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const QUERY = 'service=registry&scope=repository:linux/app:pull,push';
const USER: [string, string] = ['foo', 'bar-tls-Secret'];

describe('Vault over TLS, with mTLS and a namespace', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let dir: string;
  // Vault's TLS listeners: server certificate for 127.0.0.1, the same with a
  // client certificate required, and one that names only vault.internal.
  const listeners = { tls: '', mtls: '', named: '' };
  const files = (name: string): string => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-vault-tls-'));
    const ca = await makeCa('vra-test-ca');
    const wrongCa = await makeCa('vra-other-ca');
    const server = await ca.server();
    const named = await ca.server({ dns: ['vault.internal'], ip: [] });
    const client = await ca.client();
    await mkdir(files('ca-dir'));
    await Promise.all([
      writeFile(files('ca.pem'), ca.certificatePem),
      writeFile(files('ca-dir/ca.pem'), ca.certificatePem),
      writeFile(files('wrong-ca.pem'), wrongCa.certificatePem),
      writeFile(files('server.pem'), server.certificatePem),
      writeFile(files('server.key'), server.keyPem, { mode: 0o600 }),
      writeFile(files('named.pem'), named.certificatePem),
      writeFile(files('named.key'), named.keyPem, { mode: 0o600 }),
      writeFile(files('client.pem'), client.certificatePem),
      writeFile(files('client.key'), client.keyPem, { mode: 0o600 }),
    ]);

    const ports = { tls: await freePort(), mtls: await freePort(), named: await freePort() };
    const listener = (port: number, cert: string, extra = ''): string =>
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_cert_file = "${files(`${cert}.pem`)}"\n  tls_key_file = "${files(`${cert}.key`)}"\n${extra}}\n`;
    vault = await VaultServer.start(peers.paths.vault, {
      extraConfig: [
        listener(ports.tls, 'server'),
        listener(ports.mtls, 'server', `  tls_require_and_verify_client_cert = "true"\n  tls_client_ca_file = "${files('ca.pem')}"\n`),
        listener(ports.named, 'named'),
      ].join('\n'),
    });
    listeners.tls = `https://127.0.0.1:${ports.tls}`;
    listeners.mtls = `https://127.0.0.1:${ports.mtls}`;
    listeners.named = `https://127.0.0.1:${ports.named}`;

    // Set up through the plain dev listener with the root token.
    await vault.enableKv('registry', 1);
    await vault.putUser('registry', 1, USER[0], USER[1], 'repository:linux/app:*');
  });

  after(async () => {
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Our server with `vaultSettings` merged into storage.vault, closed after `use`. */
  async function withServer(vaultSettings: Record<string, unknown>, use: (server: TestServer) => Promise<void>): Promise<void> {
    const server = await startTestServer({
      storage: { vault: { auth_token: ROOT_TOKEN, timeout: '2s', ...vaultSettings } },
      services: [{ name: 'registry' }],
      cache: { ttl: 0 },
    });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  }

  async function assertGranted(server: TestServer): Promise<void> {
    const { status, body } = await getToken(server, QUERY, USER);
    assert.equal(status, 200, JSON.stringify(body));
    const { payload } = await jwtVerify(body.token, new X509Certificate(server.certificatePem).publicKey, { issuer: 'vra-test', audience: 'registry' });
    assert.equal(payload.sub, 'foo');
    assert.deepEqual(payload.access, [{ type: 'repository', name: 'linux/app', actions: ['pull', 'push'] }]);
  }

  /**
   * 503 with the UNAVAILABLE body, and one "Vault lost" line (one per outage)
   * whose reason matches every pattern: the words an operator acts on.
   */
  async function assertUnavailable(server: TestServer, ...reason: RegExp[]): Promise<void> {
    const { status, body } = await getToken(server, QUERY, USER);
    assert.deepEqual([status, body], [503, UNAVAILABLE]);
    const lost = server
      .logs()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string; reason?: string })
      .filter((entry) => entry.message.startsWith('Vault lost'));
    assert.equal(lost.length, 1, server.logs());
    for (const pattern of reason) assert.match(lost[0]?.reason ?? '', pattern);
  }

  test('ca_cert: the CA file that signed Vault’s certificate is trusted', async () => {
    await withServer({ addr: listeners.tls, tls: { ca_cert: files('ca.pem') } }, assertGranted);
  });

  test('ca_path: a folder holding the CA', async () => {
    await withServer({ addr: listeners.tls, tls: { ca_path: files('ca-dir') } }, assertGranted);
  });

  test('a CA that did not sign Vault’s certificate: 503, and the log says which setting to fix', async () => {
    await withServer({ addr: listeners.tls, tls: { ca_cert: files('wrong-ca.pem') } }, async (server) => {
      await assertUnavailable(server, /Vault's TLS certificate is not trusted/u, /VAULT_CACERT/u);
    });
  });

  test('mTLS: 200 with client_cert and client_key, 503 without them', async () => {
    await withServer(
      { addr: listeners.mtls, tls: { ca_cert: files('ca.pem'), client_cert: files('client.pem'), client_key: files('client.key') } },
      assertGranted,
    );
    await withServer({ addr: listeners.mtls, tls: { ca_cert: files('ca.pem') } }, async (server) => {
      // Over TLS 1.3 Vault refuses the missing certificate with an alert
      // after the handshake, which Node reports as this OpenSSL code.
      await assertUnavailable(
        server,
        /TLS handshake with Vault failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/u,
        /a client certificate may be required/u,
      );
    });
  });

  test('server_name: a certificate that names only vault.internal, reached at 127.0.0.1', async () => {
    await withServer({ addr: listeners.named, tls: { ca_cert: files('ca.pem') } }, async (server) => {
      await assertUnavailable(
        server,
        /does not name the host in storage\.vault\.addr \(ERR_TLS_CERT_ALTNAME_INVALID: .*IP: 127\.0\.0\.1 is not in the cert.s list/u,
        /VAULT_TLS_SERVER_NAME/u,
      );
    });
    await withServer({ addr: listeners.named, tls: { ca_cert: files('ca.pem'), server_name: 'vault.internal' } }, assertGranted);
  });

  test('namespace: X-Vault-Namespace on every request when configured, never otherwise', async () => {
    const proxy = await TcpProxy.start(Number(new URL(vault.address).port));
    try {
      await withServer({ addr: `http://127.0.0.1:${proxy.port}`, namespace: 'team-a' }, async (server) => {
        // Not asserted: the answer. HashiCorp Vault 1.13 OSS ignores the
        // header (200), OpenBao with namespaces refuses one that does not exist.
        await getToken(server, QUERY, USER);
      });
      const namespaced = requestsIn(proxy.sent());
      assert.ok(namespaced.length > 0);
      assert.deepEqual(
        namespaced.map(({ target, namespaces }) => [target, namespaces]),
        namespaced.map(({ target }) => [target, ['team-a']]),
      );

      proxy.clear();
      await withServer({ addr: `http://127.0.0.1:${proxy.port}` }, assertGranted);
      const plain = requestsIn(proxy.sent());
      assert.ok(plain.some(({ target }) => target === '/v1/registry/foo'));
      assert.deepEqual(
        plain.map(({ target, namespaces }) => [target, namespaces]),
        plain.map(({ target }) => [target, []]),
      );
    } finally {
      await proxy.close();
    }
  });
});

/** The HTTP/1.1 requests in the bytes a client sent: target and every X-Vault-Namespace value (header names are case-insensitive). */
function requestsIn(bytes: string): { target: string; namespaces: string[] }[] {
  return [...bytes.matchAll(/^[A-Z]+ (\S+) HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/gmu)].map(([, target, head]) => ({
    target: target as string,
    namespaces: (head as string)
      .split('\r\n')
      .map((line) => /^x-vault-namespace:\s*(.*?)\s*$/iu.exec(line)?.[1])
      .filter((value) => value !== undefined),
  }));
}
