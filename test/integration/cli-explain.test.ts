/**
 * `explain` against the user file and the real Vault: which entry granted
 * each action, or why none did, and the same answer the server gives in its
 * token for the same request.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { registerExplain } from '../../src/cli/explain.js';
import { hashPassword } from '../../src/passwords/hash.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { requirePeers } from '../helpers/peers.js';
import { claimsOf, getToken, startTestServer } from '../helpers/token-server.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const explain = (args: readonly string[]) => runInProcess([registerExplain], ['explain', ...args]);
const TOKEN = { issuer: 'vra-test', expiration: 300, certificate: 'token.pem', key: 'token.key' };

const EXPECTED_LINES = [
  'problem: group "gone" does not exist',
  'repository:team/app pull: granted by the user (repository:team/app:pull), group devs (repository:team/**:pull,push)',
  'repository:team/app push: granted by group devs (repository:team/**:pull,push)',
  'repository:team/app delete: denied, entries name it but none allows delete: the user (repository:team/app:pull), group devs (repository:team/**:pull,push)',
  'repository:users/alice/tool pull: granted by the user (repository:users/${account}/**:*)',
  'repository:other pull: denied, no entry names this repository',
  'ignored: the user\'s entry "junk": expected type:name:actions',
  'token: repository:team/app:pull,push repository:users/alice/tool:pull',
];
const SCOPES = ['repository:team/app:pull,push,delete', 'repository:users/alice/tool:pull', 'repository:other:pull'];
const ALICE_ACCESS = 'repository:team/app:pull;repository:users/${account}/**:*;junk';

describe('explain with the user file', () => {
  let dir: string;
  let configFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-explain-'));
    configFile = path.join(dir, 'config.yml');
    await writeFile(configFile, yaml.dump({ storage: { file: { path: 'users.yml' } }, token: TOKEN, services: [{ name: 'registry' }] }));
    const users = {
      registry: {
        alice: { password: await hashPassword('alice-Secret', 'bcrypt'), access: ALICE_ACCESS, groups: 'devs,gone' },
        _groups: { devs: { access: 'repository:team/**:pull,push' } },
      },
    };
    await writeFile(path.join(dir, 'users.yml'), yaml.dump(users));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('each action: the entries that granted it, or why not; then the token', async () => {
    const result = await explain(['-c', configFile, 'registry', 'alice', ...SCOPES]);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    assert.deepEqual(result.stdout.trimEnd().split('\n'), EXPECTED_LINES);
  });

  test('--json for scripts', async () => {
    const result = await explain(['-c', configFile, '--json', 'registry', 'alice', 'repository:team/app:push']);
    assert.equal(result.code, 0, result.stderr);
    const decision = JSON.parse(result.stdout);
    assert.deepEqual(decision.granted, ['repository:team/app:push']);
    assert.deepEqual(decision.groups, ['devs', 'gone']);
    assert.deepEqual(decision.problems, ['group "gone" does not exist']);
    assert.deepEqual(decision.scopes[0].actions, [
      { action: 'push', granted: true, by: [{ source: { kind: 'group', name: 'devs' }, entry: 'repository:team/**:pull,push' }] },
    ]);
  });

  test('an unknown user, a bad scope or a service outside the list: a clear error and exit code', async () => {
    assert.deepEqual(await explain(['-c', configFile, 'registry', 'nobody', 'repository:a:pull']), {
      code: 1,
      stdout: '',
      stderr: 'vault-registry-auth: USER: there is no user "nobody" in registry\n',
    });
    assert.deepEqual(await explain(['-c', configFile, 'registry', 'alice', 'repository:a']), {
      code: 2,
      stdout: '',
      stderr: 'vault-registry-auth: SCOPE: invalid scope "repository:a": expected type:name:actions\n',
    });
    assert.deepEqual(await explain(['-c', configFile, 'other', 'alice', 'repository:a:pull']), {
      code: 1,
      stdout: '',
      stderr: 'vault-registry-auth: unknown service: "other"\n',
    });
  });
});

const peers = requirePeers('vault');

describe('explain against a real Vault gives the server’s answer', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let dir: string;

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 2);
    // Written the way the README shows, with the vault CLI.
    await vault.cliOk('kv', 'put', 'registry/_groups/devs', 'access=repository:team/**:pull,push');
    await vault.cliOk('kv', 'put', 'registry/alice', 'password=alice-Secret', `access=${ALICE_ACCESS}`, 'groups=devs,gone');
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-explain-vault-'));
  });
  after(async () => {
    await vault?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the same lines, and exactly the access the server puts in its token', async () => {
    const document = { storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN } }, services: [{ name: 'registry' }] };
    const configFile = path.join(dir, 'config.yml');
    await writeFile(configFile, yaml.dump({ ...document, token: TOKEN }));
    const result = await explain(['-c', configFile, 'registry', 'alice', ...SCOPES]);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    assert.deepEqual(result.stdout.trimEnd().split('\n'), EXPECTED_LINES);

    const server = await startTestServer(document);
    try {
      const query = `service=registry&${SCOPES.map((scope) => `scope=${encodeURIComponent(scope)}`).join('&')}`;
      const { status, body } = await getToken(server, query, ['alice', 'alice-Secret']);
      assert.equal(status, 200);
      const fromServer = (claimsOf(body.token).access as { type: string; name: string; actions: string[] }[]).map(
        (a) => `${a.type}:${a.name}:${a.actions.join(',')}`,
      );
      assert.equal(`token: ${fromServer.join(' ')}`, EXPECTED_LINES.at(-1));
    } finally {
      await server.close();
    }
  });
});
