/**
 * The start-up warning about secret files others may read: the signing
 * key, the HTTPS key and a Vault token file, each said once at start (and,
 * with `serve`, once at each reload, by the primary only when there are
 * workers), never for a file mode 0600; and `keys generate` writes its key
 * 0600, also over a looser file it replaces with --force.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { registerKeys } from '../../src/cli/keys.js';
import { serve } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { makeKey } from '../helpers/keys.js';
import { waitFor } from '../helpers/net.js';
import { startTestServer, type TestServer } from '../helpers/token-server.js';

const windows = process.platform === 'win32' ? 'file modes say nothing of who may read a file on Windows' : false;

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

const parseLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

const exposureLines = (text: string): LogLine[] => parseLines(text).filter((line) => line.message.includes('holds a secret and is'));

describe('secret files others may read', { skip: windows }, () => {
  let dir: string;
  let keyFile: string;
  let certificateFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-secret-files-'));
    const key = await makeKey('p256');
    keyFile = path.join(dir, 'token.key');
    certificateFile = path.join(dir, 'token.pem');
    await writeFile(keyFile, key.keyPem);
    await writeFile(certificateFile, key.certificatePem);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function withServer(document: Record<string, unknown>, use: (server: TestServer) => Promise<void>): Promise<void> {
    const server = await startTestServer({ storage: { file: { path: path.join(dir, 'users.yml') } }, ...document });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  }

  const token = () => ({ key: keyFile, certificate: certificateFile });

  test('token.key mode 0644: exactly one warning line naming it, its mode and the chmod; 0600: none', async () => {
    await chmod(keyFile, 0o644);
    await withServer({ token: token() }, async (server) => {
      assert.deepEqual(
        exposureLines(server.logs()).map(({ timestamp: _, ...line }) => line),
        [
          {
            level: 'warn',
            message: `token.key (${keyFile}) holds a secret and is readable by group and others (mode 0644): chmod 600 ${keyFile}`,
            setting: 'token.key',
            file: keyFile,
            mode: '0644',
          },
        ],
      );
    });
    await chmod(keyFile, 0o600);
    await withServer({ token: token() }, async (server) => {
      assert.deepEqual(exposureLines(server.logs()), []);
      assert.ok(parseLines(server.logs()).some((line) => line.message === 'listening'));
    });
  });

  test('http.tls.key 0640 and a Vault token file 0604: one line each; the server starts and serves anyway', async () => {
    const tlsKey = await makeKey('p256', '127.0.0.1');
    const [serverKey, serverCertificate, tokenFile] = [path.join(dir, 'server.key'), path.join(dir, 'server.pem'), path.join(dir, 'vault-token')];
    await writeFile(serverKey, tlsKey.keyPem);
    await writeFile(serverCertificate, tlsKey.certificatePem);
    await writeFile(tokenFile, 'hvs.not-a-real-token\n');
    await chmod(serverKey, 0o640);
    await chmod(tokenFile, 0o604);
    await chmod(keyFile, 0o600);
    // Vault at a port nobody listens on: the start goes on (503 until Vault answers); the files are checked all the same.
    const document = {
      storage: { vault: { addr: 'http://127.0.0.1:9', timeout: '1s', auth: { method: 'token', token_file: tokenFile } } },
      http: { tls: { certificate: serverCertificate, key: serverKey } },
      token: token(),
    };
    const server = await startTestServer(document);
    try {
      assert.deepEqual(
        exposureLines(server.logs()).map((line) => [line.setting, line.file, line.mode, line.message]),
        [
          ['http.tls.key', serverKey, '0640', `http.tls.key (${serverKey}) holds a secret and is readable by group (mode 0640): chmod 600 ${serverKey}`],
          [
            'storage.vault.auth.token_file',
            tokenFile,
            '0604',
            `storage.vault.auth.token_file (${tokenFile}) holds a secret and is readable by others (mode 0604): chmod 600 ${tokenFile}`,
          ],
        ],
      );
    } finally {
      await server.close();
    }
  });

  for (const workers of [1, 2]) {
    test(`serve with http.workers ${workers}: one line at start and one at each reload while the key is 0644; none once it is 0600`, async () => {
      const serveDir = await mkdtemp(path.join(dir, 'serve-'));
      const key = await makeKey('p256');
      await writeFile(path.join(serveDir, 'token.key'), key.keyPem);
      await writeFile(path.join(serveDir, 'token.pem'), key.certificatePem);
      await chmod(path.join(serveDir, 'token.key'), 0o644);
      const configFile = path.join(serveDir, 'config.yml');
      await writeFile(
        configFile,
        yaml.dump({
          log: { level: 'debug' },
          storage: { file: { path: 'users.yml' } },
          http: { addr: '127.0.0.1:0', workers },
          token: { issuer: 'vra-test', expiration: 300, key: 'token.key', certificate: 'token.pem' },
          audit: { output: 'off' },
        }),
      );
      const { daemon } = await serve(configFile);
      try {
        const lines = () => parseLines(daemon.output());
        const reloads = () => lines().filter((line) => line.message === 'reloaded').length;
        const keyPath = path.join(serveDir, 'token.key');
        assert.equal(exposureLines(daemon.output()).length, 1, daemon.output());
        assert.equal(exposureLines(daemon.output())[0]?.file, keyPath);
        // Said by the process that reads the configuration: the primary, never each worker.
        assert.equal(exposureLines(daemon.output())[0]?.pid, undefined);

        daemon.child.kill('SIGHUP');
        await waitFor('the first reload', async () => reloads() >= workers, 20_000);
        assert.equal(exposureLines(daemon.output()).length, 2, daemon.output());

        await chmod(keyPath, 0o600);
        daemon.child.kill('SIGHUP');
        await waitFor('the second reload', async () => reloads() >= 2 * workers, 20_000);
        assert.equal(exposureLines(daemon.output()).length, 2, daemon.output());
      } finally {
        await daemon.stop();
      }
    });
  }
});

describe('keys generate writes its key 0600', { skip: windows }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-keys-mode-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const generate = (...args: string[]) => runInProcess([registerKeys], ['keys', 'generate', ...args]);

  test('a new key is 0600; --force over a 0644 key and certificate leaves a 0600 key', async () => {
    const [keyFile, certificateFile] = [path.join(dir, 'token.key'), path.join(dir, 'token.pem')];
    const first = await generate('--key', keyFile, '--certificate', certificateFile);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);

    const before = await readFile(keyFile, 'utf8');
    await chmod(keyFile, 0o644);
    const forced = await generate('--key', keyFile, '--certificate', certificateFile, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.notEqual(await readFile(keyFile, 'utf8'), before, 'a new key');

    // A looser file of someone else's making at the key's path: replaced, and the result is 0600.
    await writeFile(keyFile, 'an old key', { mode: 0o666 });
    await chmod(keyFile, 0o666);
    const again = await generate('--key', keyFile, '--certificate', certificateFile, '--force', '--type', 'ed25519');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.match(await readFile(keyFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/u);
  });
});
