/**
 * `keys generate` and `certs fetch`, run in-process with their own streams.
 * certs fetch talks to our real server over real TLS (a test CA) and to a
 * small loopback server that answers what a broken one would; after every
 * failure the output folder is checked to be empty (no file, no temporary).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { registerCerts } from '../../src/cli/certs.js';
import { registerKeys } from '../../src/cli/keys.js';
import { keyId } from '../../src/domain/key-id.js';
import { signingKeyFromPem } from '../../src/tokens/signing-key.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { makeKey } from '../helpers/keys.js';
import { freePort } from '../helpers/net.js';
import { makeCa } from '../helpers/test-ca.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';

const cli = (...args: string[]) => runInProcess([registerKeys, registerCerts], args);

let work: string;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vra-cli-keys-'));
});
after(() => rm(work, { recursive: true, force: true }));

/** A fresh empty folder under the test's work folder. */
const folder = (): Promise<string> => mkdtemp(path.join(work, 'out-'));

describe('keys generate', () => {
  test('a P-256 key (PKCS#8, mode 0600) and its certificate; prints both kids and the expiry', async () => {
    const dir = await folder();
    const [keyFile, certificateFile] = [path.join(dir, 'sub', 'token.key'), path.join(dir, 'token.pem')];
    const before = Date.now();
    const result = await cli('keys', 'generate', '--key', keyFile, '--certificate', certificateFile);
    assert.equal(result.code, 0, result.stderr);
    const [keyPem, certificatePem] = [await readFile(keyFile, 'utf8'), await readFile(certificateFile, 'utf8')];
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/u);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const loaded = signingKeyFromPem(keyPem, certificatePem, 'thumbprint');
    assert.equal(loaded.alg, 'ES256');
    const certificate = new X509Certificate(certificatePem);
    assert.equal(certificate.subject, 'CN=vault-registry-auth');
    const days = (new Date(certificate.validTo).getTime() - before) / 86_400_000;
    assert.ok(days > 5 * 365 - 1 && days <= 5 * 365, String(days));
    assert.equal(
      result.stdout,
      [
        `key:              ${keyFile} (ES256, p256, mode 0600)`,
        `certificate:      ${certificateFile} (CN=vault-registry-auth)`,
        `kid (thumbprint): ${keyId(certificate.publicKey, 'thumbprint')}   registry v3 (token.kid: thumbprint)`,
        `kid (libtrust):   ${keyId(certificate.publicKey, 'libtrust')}   registry 2.x (token.kid: libtrust)`,
        `expires:          ${new Date(certificate.validTo).toISOString()}`,
        '',
      ].join('\n'),
    );
    assert.equal(result.stderr, '');
  });

  const ALGS = { p256: 'ES256', p384: 'ES384', rsa2048: 'RS256', rsa3072: 'RS256', rsa4096: 'RS256', ed25519: 'EdDSA' } as const;
  for (const [type, alg] of Object.entries(ALGS)) {
    test(`--type ${type}: a ${alg} key whose certificate matches it`, async () => {
      const dir = await folder();
      const files = [path.join(dir, 'k'), path.join(dir, 'c')] as const;
      const result = await cli('keys', 'generate', '--type', type, '--key', files[0], '--certificate', files[1], '--days', '30', '--common-name', 'next key');
      assert.equal(result.code, 0, result.stderr);
      const loaded = signingKeyFromPem(await readFile(files[0], 'utf8'), await readFile(files[1], 'utf8'), 'thumbprint');
      assert.equal(loaded.alg, alg);
      const certificate = loaded.certificates[0]!;
      assert.equal(certificate.subject, 'CN=next key');
      assert.ok(Math.abs(new Date(certificate.validTo).getTime() - Date.now() - 30 * 86_400_000) < 120_000);
      if (type.startsWith('rsa')) assert.equal(loaded.privateKey.asymmetricKeyDetails?.modulusLength, Number(type.slice(3)));
    });
  }

  test('never overwrites without --force: exit 1, nothing written; --force replaces both', async () => {
    const dir = await folder();
    const [keyFile, certificateFile] = [path.join(dir, 'token.key'), path.join(dir, 'token.pem')];
    await writeFile(certificateFile, 'the old certificate');
    const refused = await cli('keys', 'generate', '--key', keyFile, '--certificate', certificateFile);
    assert.deepEqual(refused, {
      code: 1,
      stdout: '',
      stderr: `vault-registry-auth: --certificate: ${certificateFile} exists: pass --force to replace it (nothing was written)\n`,
    });
    assert.deepEqual(await readdir(dir), ['token.pem']);
    assert.equal(await readFile(certificateFile, 'utf8'), 'the old certificate');

    const forced = await cli('keys', 'generate', '--key', keyFile, '--certificate', certificateFile, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['token.key', 'token.pem']);
    signingKeyFromPem(await readFile(keyFile, 'utf8'), await readFile(certificateFile, 'utf8'), 'thumbprint');
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  });

  test('usage errors exit 2', async () => {
    const dir = await folder();
    const args = ['keys', 'generate', '--key', path.join(dir, 'k'), '--certificate', path.join(dir, 'c')];
    for (const extra of [
      ['--type', 'dsa'],
      ['--days', '0'],
      ['--days', '1.5'],
    ]) {
      const result = await cli(...args, ...extra);
      assert.equal(result.code, 2, `${extra.join(' ')}: ${result.stderr}`);
    }
    assert.equal((await cli('keys', 'generate', '--key', path.join(dir, 'same'), '--certificate', path.join(dir, 'same'))).code, 2);
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('certs fetch', () => {
  let server: TestServer;
  let caFile: string;
  /** A loopback server answering what a broken or wrong server would. */
  let broken: http.Server;
  let brokenUrl: string;
  const answers: Record<string, [number, string]> = {};
  /** How many more times /flaky answers 503, as a server still starting would. */
  let flakyFailures = 0;
  let flakyKid: string;

  before(async () => {
    const ca = await makeCa();
    const tls = await ca.server();
    const tlsDir = await folder();
    caFile = path.join(tlsDir, 'ca.pem');
    await writeFile(caFile, ca.certificatePem);
    await writeFile(path.join(tlsDir, 'server.pem'), tls.certificatePem);
    await writeFile(path.join(tlsDir, 'server.key'), tls.keyPem);
    const next = await makeKey('rsa');
    await writeFile(path.join(tlsDir, 'next.pem'), next.certificatePem);
    server = await startTestServer({
      storage: { file: { path: 'users.yml' } },
      http: { tls: { certificate: path.join(tlsDir, 'server.pem'), key: path.join(tlsDir, 'server.key') } },
      token: { published: [path.join(tlsDir, 'next.pem')] },
    });

    const privateJwk = { ...(await makeKey('p256')).privateKey.export({ format: 'jwk' }), kid: 'leaked' };
    Object.assign(answers, {
      '/empty': [200, ''],
      '/garbage': [200, '<html><body>Welcome to nginx!</body></html>'],
      '/private.jwks': [200, JSON.stringify({ keys: [privateJwk] })],
      '/private.pem': [200, (await makeKey('p256')).keyPem],
      '/empty.jwks': [200, '{"keys":[]}'],
    });
    const flaky = await makeKey('p256');
    answers['/flaky'] = [200, flaky.certificatePem];
    flakyKid = keyId(new X509Certificate(flaky.certificatePem).publicKey, 'thumbprint');
    broken = http.createServer((request, response) => {
      if (request.url === '/flaky' && flakyFailures > 0) {
        flakyFailures -= 1;
        response.writeHead(503).end('starting');
        return;
      }
      const [status, body] = answers[request.url ?? ''] ?? [404, 'not found'];
      response.writeHead(status).end(body);
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server?.close();
    await new Promise((resolve) => broken?.close(resolve));
  });

  test('--format pem over verified TLS (--ca): the file is what /certs serves, and says what it wrote', async () => {
    const dir = await folder();
    const out = path.join(dir, 'bundle.pem');
    const result = await cli('certs', 'fetch', '--url', `${server.url}/certs`, '--out', out, '--ca', caFile);
    assert.equal(result.code, 0, result.stderr);
    const written = await readFile(out, 'utf8');
    const certificates = written.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
    assert.equal(certificates.length, 2);
    assert.equal(new X509Certificate(certificates[0]!).raw.toString('base64'), new X509Certificate(server.certificatePem).raw.toString('base64'));
    const thumbprints = certificates.map((pem) => keyId(new X509Certificate(pem).publicKey, 'thumbprint'));
    assert.equal(result.stdout, `wrote ${out}: 2 certificates (thumbprint ${thumbprints.join(', ')})\n`);
    assert.deepEqual(await readdir(dir), ['bundle.pem']);
    assert.equal((await stat(out)).mode & 0o777, 0o644);
  });

  test('--format jwks: the JWK set, replacing an older file atomically', async () => {
    const dir = await folder();
    const out = path.join(dir, 'jwks.json');
    await writeFile(out, '{"keys":"old"}');
    const result = await cli('certs', 'fetch', '--url', `${server.url}/jwks`, '--out', out, '--format', 'jwks', '--ca', caFile);
    assert.equal(result.code, 0, result.stderr);
    const jwks = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(jwks.keys.length, 2);
    assert.equal(result.stdout, `wrote ${out}: 2 keys (kid ${jwks.keys.map((key: { kid: string }) => key.kid).join(', ')})\n`);
    assert.deepEqual(await readdir(dir), ['jwks.json']);
  });

  /** Runs a fetch expected to fail: exit 1, the message, and nothing in the folder. */
  async function fails(args: string[], message: string | RegExp): Promise<void> {
    const dir = await folder();
    const result = await cli('certs', 'fetch', ...args, '--out', path.join(dir, 'out'));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    if (typeof message === 'string') assert.equal(result.stderr, `vault-registry-auth: ${message}\n`);
    else assert.match(result.stderr, message);
    assert.deepEqual(await readdir(dir), [], 'no file left behind');
  }

  test('TLS is verified: without the CA the fetch fails and says to pass --ca', async () => {
    await fails(
      ['--url', `${server.url}/certs`],
      `${server.url}/certs: the server's TLS certificate is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass the CA that signed it with --ca`,
    );
    const otherCa = await makeCa('another-ca');
    const otherFile = path.join(await folder(), 'other.pem');
    await writeFile(otherFile, otherCa.certificatePem);
    await fails(['--url', `${server.url}/certs`, '--ca', otherFile], /TLS certificate is not trusted .*pass the CA that signed it with --ca/u);
  });

  test('an unreachable URL, a 404, an empty body and garbage fail with a clear message', async () => {
    const port = await freePort();
    await fails(['--url', `http://127.0.0.1:${port}/certs`, '--attempts', '1'], `cannot fetch http://127.0.0.1:${port}/certs: ECONNREFUSED`);
    // The rest are not retried (the default is 6 attempts): `fails` checks that stderr holds only the error.
    await fails(['--url', `${brokenUrl}/certs`], `${brokenUrl}/certs answered 404 Not Found (expected 200)`);
    await fails(['--url', `${brokenUrl}/empty`], `${brokenUrl}/empty: it holds no certificate`);
    await fails(['--url', `${brokenUrl}/garbage`], `${brokenUrl}/garbage: it is not a PEM bundle: there is text outside the certificates`);
    await fails(['--url', `${brokenUrl}/garbage`, '--format', 'jwks'], `${brokenUrl}/garbage: it is not JSON`);
    await fails(['--url', `${brokenUrl}/empty.jwks`, '--format', 'jwks'], `${brokenUrl}/empty.jwks: it holds no key`);
  });

  test('a server still starting: each retry says its attempt, the reason and the wait, then the file is written', async () => {
    flakyFailures = 2;
    const dir = await folder();
    const out = path.join(dir, 'bundle.pem');
    const result = await cli('certs', 'fetch', '--url', `${brokenUrl}/flaky`, '--out', out, '--attempts', '4', '--retry-wait', '10ms');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stderr,
      [
        `certs fetch: attempt 1 of 4 failed: ${brokenUrl}/flaky answered 503 Service Unavailable (expected 200); trying again in 10ms`,
        `certs fetch: attempt 2 of 4 failed: ${brokenUrl}/flaky answered 503 Service Unavailable (expected 200); trying again in 20ms`,
        '',
      ].join('\n'),
    );
    assert.equal(result.stdout, `wrote ${out}: 1 certificate (thumbprint ${flakyKid})\n`);
    assert.deepEqual(await readdir(dir), ['bundle.pem']);
  });

  test('an unreachable server: every retry is said, then the error says it gave up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/certs`;
    const dir = await folder();
    const result = await cli('certs', 'fetch', '--url', url, '--out', path.join(dir, 'out'), '--attempts', '3', '--retry-wait', '5ms');
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      [
        `certs fetch: attempt 1 of 3 failed: cannot fetch ${url}: ECONNREFUSED; trying again in 5ms`,
        `certs fetch: attempt 2 of 3 failed: cannot fetch ${url}: ECONNREFUSED; trying again in 10ms`,
        `vault-registry-auth: cannot fetch ${url}: ECONNREFUSED (gave up after 3 attempts)`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(await readdir(dir), []);
  });

  test('--attempts and --retry-wait are checked: a usage error (exit 2)', async () => {
    const dir = await folder();
    const base = ['certs', 'fetch', '--url', `${brokenUrl}/flaky`, '--out', path.join(dir, 'out')];
    const cases: [string[], string][] = [
      [['--attempts', '0'], "option '--attempts <n>' argument '0' is invalid. It must be a whole number from 1 to 100."],
      [['--attempts', 'many'], "option '--attempts <n>' argument 'many' is invalid. It must be a whole number from 1 to 100."],
      [['--retry-wait', '1m'], "option '--retry-wait <duration>' argument '1m' is invalid. It must be a duration (250ms, 1s, 5s) of at most 30s."],
    ];
    for (const [extra, message] of cases) {
      const result = await cli(...base, ...extra);
      assert.deepEqual([result.code, result.stderr], [2, `vault-registry-auth: ${message} (see: vault-registry-auth certs fetch --help)\n`]);
    }
    assert.deepEqual(await readdir(dir), []);
  });

  test('a private key is never written: a JWKS with a private member, a PEM with a private key', async () => {
    await fails(['--url', `${brokenUrl}/private.jwks`, '--format', 'jwks'], `${brokenUrl}/private.jwks: key 1 has private members (d): refusing to write it`);
    await fails(['--url', `${brokenUrl}/private.pem`], `${brokenUrl}/private.pem: it holds a private key: refusing to write it`);
  });

  test('plain http is refused except to loopback, before any connection', async () => {
    await fails(
      ['--url', 'http://auth.example.invalid/certs'],
      'plain http is refused for auth.example.invalid: the keys a registry trusts must come over https (http is allowed to loopback only)',
    );
    await fails(['--url', 'ftp://auth.example.invalid/certs'], 'unsupported URL scheme ftp: (use https)');
    await fails(['--url', 'not a url'], 'not a URL: "not a url"');
  });

  test('an existing file is left as it was when the fetch fails', async () => {
    const dir = await folder();
    const out = path.join(dir, 'bundle.pem');
    await writeFile(out, 'the bundle the registry runs with');
    const result = await cli('certs', 'fetch', '--url', `${brokenUrl}/garbage`, '--out', out);
    assert.equal(result.code, 1);
    assert.deepEqual(await readdir(dir), ['bundle.pem']);
    assert.equal(await readFile(out, 'utf8'), 'the bundle the registry runs with');
  });
});
