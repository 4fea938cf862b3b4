/**
 * A bcrypt hash written by Apache's `htpasswd -nB` (the `$2y$` prefix some
 * libraries refuse) works as a stored password, end to end over HTTP.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { requirePeers } from '../helpers/peers.js';
import { run } from '../helpers/process.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const peers = requirePeers('htpasswd');

describe('passwords hashed by htpasswd -nB', { skip: peers.skip }, () => {
  let server: TestServer;
  let hash: string;

  before(async () => {
    const written = await run(peers.paths.htpasswd, ['-nbB', 'alice', 'htpasswd-Secret-1']);
    assert.equal(written.code, 0, written.stderr);
    hash = written.stdout.trim().split(':')[1] ?? '';
    server = await startTestServer({ storage: { file: { path: 'users.yml' } } });
    await writeFile(path.join(server.dir, 'users.yml'), yaml.dump({ registry: { alice: { password: hash, access: 'repository:team/app:pull' } } }));
  });
  after(() => server?.close());

  test('the $2y$ hash verifies the password, and only it', async () => {
    assert.match(hash, /^\$2y\$05\$/u);
    assert.equal((await getToken(server, 'service=registry&scope=repository:team/app:pull', ['alice', 'htpasswd-Secret-1'])).status, 200);
    assert.equal((await getToken(server, 'service=registry', ['alice', 'htpasswd-Secret-2'])).status, 401);
  });

  test('no warning about plaintext for a hashed password', () => {
    assert.doesNotMatch(server.logs(), /stored in plaintext/u);
  });
});
