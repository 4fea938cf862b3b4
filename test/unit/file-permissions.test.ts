/**
 * src/util/file-permissions.ts on real files: which modes expose a secret
 * file, the warning's words, one line per exposed file; and
 * src/config/secret-files.ts: which settings of a configuration hold one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { parseConfig } from '../../src/config/load.js';
import { secretFilesOf } from '../../src/config/secret-files.js';
import { exposedBits, exposedFile, exposureMessage, octalMode, warnExposedFiles } from '../../src/util/file-permissions.js';

const windows = process.platform === 'win32' ? 'file modes say nothing of who may read a file on Windows' : false;
const uid = process.getuid?.() ?? 0;

describe('exposedBits', () => {
  test('read and write bits of group and others expose a file; the owner and execute bits do not', () => {
    const cases: [number, number][] = [
      [0o600, 0],
      [0o400, 0],
      [0o700, 0],
      [0o711, 0],
      [0o644, 0o044],
      [0o640, 0o040],
      [0o604, 0o004],
      [0o620, 0o020],
      [0o602, 0o002],
      [0o666, 0o066],
      [0o777, 0o066],
    ];
    for (const [mode, exposed] of cases) assert.equal(exposedBits(mode, 1000, 1000), exposed, octalMode(mode));
  });

  test("group read is tolerated on root's file read by another user (Kubernetes fsGroup, 0440), never others' read nor group write", () => {
    assert.equal(exposedBits(0o440, 0, 1000), 0);
    assert.equal(exposedBits(0o640, 0, 1000), 0);
    assert.equal(exposedBits(0o644, 0, 1000), 0o004);
    assert.equal(exposedBits(0o660, 0, 1000), 0o020);
    // Root reading its own file, or a user's file shared with a group: chmod 600 is the fix.
    assert.equal(exposedBits(0o440, 0, 0), 0o040);
    assert.equal(exposedBits(0o440, 1001, 1000), 0o040);
  });
});

describe('exposureMessage', () => {
  test('names the setting, the file, who may do what, the mode, and the chmod that fixes it', () => {
    const message = (mode: number): string => exposureMessage({ setting: 'token.key', file: '/etc/vra/token.key', mode, exposed: exposedBits(mode, 1, 1) });
    assert.equal(message(0o644), 'token.key (/etc/vra/token.key) holds a secret and is readable by group and others (mode 0644): chmod 600 /etc/vra/token.key');
    assert.equal(message(0o604), 'token.key (/etc/vra/token.key) holds a secret and is readable by others (mode 0604): chmod 600 /etc/vra/token.key');
    assert.equal(message(0o620), 'token.key (/etc/vra/token.key) holds a secret and is writable by group (mode 0620): chmod 600 /etc/vra/token.key');
    assert.equal(
      message(0o666),
      'token.key (/etc/vra/token.key) holds a secret and is readable by group and others, writable by group and others (mode 0666): chmod 600 /etc/vra/token.key',
    );
  });
});

describe('exposedFile and warnExposedFiles on real files', { skip: windows }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-file-permissions-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function fileWithMode(name: string, mode: number): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, 'secret\n');
    // Set exactly: writeFile's mode is reduced by the umask.
    await chmod(file, mode);
    return file;
  }

  test('0600 and 0400: not exposed; 0644, 0640, 0660: exposed, with the mode and the bits', async () => {
    for (const mode of [0o600, 0o400]) {
      assert.equal(await exposedFile({ setting: 's', file: await fileWithMode(`ok-${octalMode(mode)}`, mode) }), null, octalMode(mode));
    }
    for (const [mode, exposed] of [
      [0o644, 0o044],
      [0o640, 0o040],
      [0o660, 0o060],
    ] as const) {
      const file = await fileWithMode(`loose-${octalMode(mode)}`, mode);
      // Our own file: the group-read tolerance is for root's files only.
      assert.deepEqual(await exposedFile({ setting: 's', file }), { setting: 's', file, mode, exposed }, octalMode(mode));
    }
  });

  test('a symlink (a Kubernetes secret volume) is judged by the file it points to, and named as configured', async () => {
    const target = await fileWithMode('target', 0o644);
    const link = path.join(dir, 'link');
    await symlink(target, link);
    assert.deepEqual(await exposedFile({ setting: 'http.tls.key', file: link }), { setting: 'http.tls.key', file: link, mode: 0o644, exposed: 0o044 });
    await chmod(target, 0o600);
    assert.equal(await exposedFile({ setting: 'http.tls.key', file: link }), null);
  });

  test('a missing file is not reported here (whoever reads it says so); no uid (Windows): nothing', async () => {
    assert.equal(await exposedFile({ setting: 's', file: path.join(dir, 'missing') }), null);
    assert.equal(await exposedFile({ setting: 's', file: await fileWithMode('no-uid', 0o644) }, null), null);
  });

  test('warnExposedFiles: exactly one warning line per exposed file, with setting, file and mode', async () => {
    const loose = await fileWithMode('loose.key', 0o644);
    const tight = await fileWithMode('tight.key', 0o600);
    let text = '';
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _encoding, done) {
              text += chunk.toString('utf8');
              done();
            },
          }),
        }),
      ],
    });
    const exposed = await warnExposedFiles(
      [
        { setting: 'token.key', file: loose },
        { setting: 'http.tls.key', file: tight },
        { setting: 'storage.vault.auth.secret_id_file', file: path.join(dir, 'missing') },
      ],
      logger,
    );
    assert.deepEqual(exposed, [{ setting: 'token.key', file: loose, mode: 0o644, exposed: 0o044 }]);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines, [
      {
        level: 'warn',
        message: `token.key (${loose}) holds a secret and is readable by group and others (mode 0644): chmod 600 ${loose}`,
        setting: 'token.key',
        file: loose,
        mode: '0644',
      },
    ]);
  });

  test(`this process's uid is used by default (uid ${uid})`, async () => {
    const file = await fileWithMode('default-uid', 0o640);
    assert.deepEqual(await exposedFile({ setting: 's', file }), { setting: 's', file, mode: 0o640, exposed: 0o040 });
  });
});

describe('secretFilesOf', () => {
  const base = '/etc/vra';
  const token = { issuer: 'vra', expiration: 300, certificate: 'token.pem', key: 'token.key' };

  test('token.key, http.tls.key, the Vault token file and the Vault client key; never certificates or CA files', () => {
    const config = parseConfig(
      {
        storage: {
          vault: {
            addr: 'https://vault:8200',
            auth: { method: 'token', token_file: 'agent/token' },
            tls: { ca_cert: 'ca.pem', client_cert: 'client.pem', client_key: 'client.key' },
          },
        },
        http: { tls: { certificate: 'server.pem', key: 'server.key' } },
        token: { ...token, published: ['next.pem'] },
      },
      base,
      {},
    );
    assert.deepEqual(secretFilesOf(config), [
      { setting: 'token.key', file: '/etc/vra/token.key' },
      { setting: 'http.tls.key', file: '/etc/vra/server.key' },
      { setting: 'storage.vault.auth.token_file', file: '/etc/vra/agent/token' },
      { setting: 'storage.vault.tls.client_key', file: '/etc/vra/client.key' },
    ]);
  });

  test('AppRole: the secret_id file (not the public role_id file); from the environment: no file, nothing to check', () => {
    const approle = { addr: 'http://vault:8200', auth: { method: 'approle', role_id_file: 'role-id', secret_id_file: 'secret-id' } };
    assert.deepEqual(secretFilesOf(parseConfig({ storage: { vault: approle }, token }, base, {})), [
      { setting: 'token.key', file: '/etc/vra/token.key' },
      { setting: 'storage.vault.auth.secret_id_file', file: '/etc/vra/secret-id' },
    ]);
    assert.deepEqual(secretFilesOf(parseConfig({ storage: { vault: approle }, token }, base, { VAULT_SECRET_ID: 'from-env' })), [
      { setting: 'token.key', file: '/etc/vra/token.key' },
    ]);
    // A file named by an environment variable is named so.
    assert.deepEqual(
      secretFilesOf(parseConfig({ storage: { vault: approle }, token }, base, { VAULT_SECRET_ID: 'from-env', VAULT_CLIENT_KEY: '/k/client.key' })),
      [
        { setting: 'token.key', file: '/etc/vra/token.key' },
        { setting: 'VAULT_CLIENT_KEY', file: '/k/client.key' },
      ],
    );
  });

  test('a token in the config, keys in Vault, the Kubernetes JWT (the kubelet owns it): nothing', () => {
    const vaultKeys = { issuer: 'vra', expiration: 300, vault_path: 'secret/data/keys' };
    assert.deepEqual(secretFilesOf(parseConfig({ storage: { vault: { addr: 'http://vault:8200', auth_token: 't' } }, token: vaultKeys }, base, {})), []);
    const kubernetes = { addr: 'http://vault:8200', auth: { method: 'kubernetes', role: 'vra' } };
    assert.deepEqual(secretFilesOf(parseConfig({ storage: { vault: kubernetes }, token: vaultKeys }, base, {})), []);
  });
});
