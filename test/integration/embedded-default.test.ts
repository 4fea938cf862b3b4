/**
 * `npm start` with no config: the embedded default runs without Vault, makes
 * its own signing key and an `admin` user with a random password shown once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { jwtVerify } from 'jose';
import yaml from 'js-yaml';
import { CLI, serve } from '../helpers/cli.js';
import { run } from '../helpers/process.js';
import { getToken } from '../helpers/token-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let dir: string;
let configFile: string;

before(async () => {
  // A copy of config/default.yml in the same layout, on a free port.
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-default-'));
  await mkdir(path.join(dir, 'config'));
  configFile = path.join(dir, 'config', 'default.yml');
  const document = yaml.load(await readFile(path.join(root, 'config', 'default.yml'), 'utf8')) as { http: { addr: string } };
  assert.equal(document.http.addr, '127.0.0.1:5002');
  document.http.addr = '127.0.0.1:0';
  await writeFile(configFile, yaml.dump(document));
});
after(() => rm(dir, { recursive: true, force: true }));

function passwordShownIn(output: string): string | null {
  return /the password:\n\n {4}(\S+)\n/u.exec(output)?.[1] ?? null;
}

test('first start: key, certificate and an admin user with a password shown once; a token for it', async () => {
  const first = await serve(configFile);
  let password: string | null;
  try {
    password = passwordShownIn(first.daemon.output());
    assert.ok(password, first.daemon.output());
    assert.equal((await stat(path.join(dir, 'certs', 'token.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, 'data', 'users.yml'))).mode & 0o777, 0o600);
    // Stored hashed (argon2id): the password itself is nowhere on disk.
    const stored = await readFile(path.join(dir, 'data', 'users.yml'), 'utf8');
    assert.match(stored, /password: \$argon2id\$v=19\$/u);
    assert.equal(stored.includes(password), false);

    const { status, body } = await getToken(first, 'service=registry&scope=repository:demo/app:pull,push', ['admin', password]);
    assert.equal(status, 200);
    const certificate = new X509Certificate(await readFile(path.join(dir, 'certs', 'token.pem')));
    const { payload } = await jwtVerify(body.token, certificate.publicKey, { issuer: 'vault-registry-auth', audience: 'registry' });
    assert.deepEqual(payload.access, [{ type: 'repository', name: 'demo/app', actions: ['pull', 'push'] }]);
    assert.equal((await getToken(first, 'service=registry', ['admin', 'admin'])).status, 401);
  } finally {
    await first.daemon.stop();
  }

  const kid = JSON.parse(
    first.daemon
      .output()
      .split('\n')
      .find((l) => l.includes('"listening"')) as string,
  ).kid;
  const second = await serve(configFile);
  try {
    assert.equal(passwordShownIn(second.daemon.output()), null, 'the password is shown only once');
    assert.equal(
      JSON.parse(
        second.daemon
          .output()
          .split('\n')
          .find((l) => l.includes('"listening"')) as string,
      ).kid,
      kid,
      'the key is kept',
    );
    assert.equal((await getToken(second, 'service=registry', ['admin', password])).status, 200);
  } finally {
    await second.daemon.stop();
  }
});

test('a users file edited while running takes effect on the next request', async () => {
  const running = await serve(configFile);
  try {
    const users = yaml.load(await readFile(path.join(dir, 'data', 'users.yml'), 'utf8')) as Record<string, Record<string, unknown>>;
    (users.registry as Record<string, unknown>).ci = { password: 'ci-Secret', access: 'repository:demo/app:pull' };
    await writeFile(path.join(dir, 'data', 'users.yml'), yaml.dump(users));
    const { status, body } = await getToken(running, 'service=registry&scope=repository:demo/app:pull,push', ['ci', 'ci-Secret']);
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()).access, [
      { type: 'repository', name: 'demo/app', actions: ['pull'] },
    ]);
  } finally {
    await running.daemon.stop();
  }
});

test('a bad config file: exit code 2 and a message naming the key', async () => {
  const bad = path.join(dir, 'config', 'bad.yml');
  await copyFile(configFile, bad);
  await writeFile(bad, (await readFile(bad, 'utf8')).replace('expiration: 300', 'expiration: soon'));
  const result = await run(process.execPath, [CLI, 'serve', '--config', bad]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /token\.expiration must be a positive integer/u);
});

test('a missing signing key: exit code 2, a message naming token.key, and nothing created', async () => {
  const config = path.join(dir, 'config', 'nokey.yml');
  await writeFile(
    config,
    yaml.dump({
      storage: { file: { path: 'nokey-users.yml' } },
      token: { issuer: 'x', expiration: 300, certificate: 'absent.pem', key: 'absent.key' },
    }),
  );
  const result = await run(process.execPath, [CLI, 'serve', '--config', config]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `vault-registry-auth: token.key and token.certificate (${path.join(dir, 'config', 'absent.key')}, ${path.join(dir, 'config', 'absent.pem')}): no such file: ${path.join(dir, 'config', 'absent.key')}\n`,
  );
  await assert.rejects(stat(path.join(dir, 'config', 'nokey-users.yml')), /ENOENT/u);
});
