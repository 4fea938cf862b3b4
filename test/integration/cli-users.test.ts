/**
 * The `user` and `group` commands against a real Vault (a KV v1 mount, a
 * KV v2 mount and a folder inside a KV v2 mount) and against the embedded
 * YAML user file. Commands run in-process through runCli with their own
 * streams; the exit codes and real stdin of a process are checked with the
 * built CLI. Every write is checked in the storage itself (Vault's API, the
 * vault CLI, the file), never through the commands alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verify as argon2Verify } from '@node-rs/argon2';
import { compare as bcryptCompare } from '@node-rs/bcrypt';
import yaml from 'js-yaml';
import { registerGroup } from '../../src/cli/group.js';
import { registerUser } from '../../src/cli/user.js';
import type { VaultStorageConfig } from '../../src/config/config.js';
import { loadConfigFile } from '../../src/config/load.js';
import { ServerEvents } from '../../src/events.js';
import { systemClock } from '../../src/util/clock.js';
import { KvMountResolver } from '../../src/vault/mounts.js';
import { openVaultClient } from '../../src/vault/open.js';
import { VaultUserStore } from '../../src/vault/vault-user-store.js';
import { createUserFileIfMissing } from '../../src/users/bootstrap.js';
import { FileUserStore } from '../../src/users/file-user-store.js';
import { CLI } from '../helpers/cli.js';
import { type CliResult, runInProcess } from '../helpers/in-process-cli.js';
import { requirePeers } from '../helpers/peers.js';
import { run } from '../helpers/process.js';
import { apiOk, createToken } from '../helpers/vault-admin.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');

type Result = CliResult;

/** One command line, in-process; `stdin` is what a pipe would give it (never a terminal). */
const cli = (args: readonly string[], stdin?: string): Promise<Result> => runInProcess([registerUser, registerGroup], args, stdin);

/** A command that must succeed: its stdout. */
async function ok(args: readonly string[], stdin?: string): Promise<string> {
  const result = await cli(args, stdin);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout;
}

/** A command that must fail with `code` and one `vault-registry-auth: ` line on stderr matching `message`. */
async function fails(args: readonly string[], code: number, message: RegExp, stdin?: string): Promise<void> {
  const result = await cli(args, stdin);
  assert.equal(result.code, code, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, /^vault-registry-auth: [^\n]+\n$/u, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(result.stdout, '');
}

const TOKEN_SECTION = { issuer: 'vra-test', expiration: 300, certificate: 'token.pem', key: 'token.key' };

describe('user and group commands against a real Vault', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let dir: string;
  let config: string;
  /** The server's own reading of the users, to check that the commands write where it reads. */
  let serverView: VaultUserStore;

  /** The three kinds of service: where their secrets are, and how `vault` writes and reads them. */
  const KINDS = [
    { service: 'registry', version: 1, data: 'registry/', metadata: null, cliPath: 'registry' },
    { service: 'registry2', version: 2, data: 'registry2/data/', metadata: 'registry2/metadata/', cliPath: 'registry2' },
    { service: 'team', version: 2, data: 'secret/data/registry-users/', metadata: 'secret/metadata/registry-users/', cliPath: 'secret/registry-users' },
  ] as const;
  type Kind = (typeof KINDS)[number];

  /** The fields at `key` (`alice`, `_groups/devs`), as Vault's API gives them; null when there is none. */
  async function fieldsAt(kind: Kind, key: string): Promise<Record<string, string> | null> {
    const { status, body } = await vault.api('GET', `${kind.data}${key}`);
    if (status === 404) return null;
    assert.equal(status, 200, JSON.stringify(body));
    const data = (body as { data: Record<string, unknown> }).data;
    return (kind.version === 2 ? data.data : data) as Record<string, string>;
  }

  /** Every key of the service, as `vault list` would show them (folders end with /). */
  async function keysOf(kind: Kind, folder = ''): Promise<string[]> {
    const { status, body } = await vault.api('GET', `${kind.metadata ?? kind.data}${folder}?list=true`);
    return status === 404 ? [] : (body as { data: { keys: string[] } }).data.keys;
  }

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    await vault.enableKv('registry', 1);
    await vault.enableKv('registry2', 2);
    // `secret/` is the dev server's own KV v2 mount: the team's users are a folder in it.
    await vault.api('POST', 'sys/mounts/pki', { type: 'pki' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-cli-users-'));
    config = path.join(dir, 'config.yml');
    await writeFile(
      config,
      yaml.dump({
        storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN, timeout: '5s' } },
        token: TOKEN_SECTION,
        services: [
          { name: 'registry' },
          { name: 'registry2' },
          { name: 'team', mount: 'secret/registry-users' },
          { name: 'pki' },
          { name: 'internal', mount: 'sys' },
        ],
      }),
    );
    const storage = loadConfigFile(config, {}).storage as VaultStorageConfig;
    const events = new ServerEvents();
    const client = await openVaultClient(storage, systemClock, events);
    const mounts = new KvMountResolver(client, { kvVersion: 'auto', ttlMs: 60_000, clock: systemClock });
    serverView = new VaultUserStore({ vault: client, mounts, events, timeoutMs: 5000, address: vault.address });
  });

  after(async () => {
    await serverView?.close();
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const kind of KINDS) {
    const { service } = kind;
    const c = (...args: string[]): string[] => [...args, '--config', config];

    describe(`${service} (KV v${kind.version}${kind.service === 'team' ? ', a folder inside a mount' : ''})`, () => {
      test('add with a password on stdin: stored hashed (argon2id), never printed; show says only how it is kept', async () => {
        const out = await ok(
          c('user', 'add', service, 'alice', '--access', 'repository:team/app:pull,push; repository:team/*:pull', '--password-stdin'),
          'alice-Secret-1\n',
        );
        assert.equal(out, `added user alice to ${service}\n`);
        const stored = await fieldsAt(kind, 'alice');
        assert.ok(stored);
        assert.deepEqual(Object.keys(stored).sort(), ['access', 'password']);
        assert.equal(stored.access, 'repository:team/app:pull,push;repository:team/*:pull');
        assert.notEqual(stored.password, 'alice-Secret-1');
        assert.match(stored.password ?? '', /^\$argon2id\$/u);
        assert.equal(await argon2Verify(stored.password ?? '', 'alice-Secret-1'), true);
        assert.equal(await argon2Verify(stored.password ?? '', 'alice-Secret-1\n'), false, 'the newline is not part of the password');

        const shown = await ok(c('user', 'show', service, 'alice'));
        assert.equal(
          shown,
          [
            'name:     alice',
            `service:  ${service}`,
            'password: hashed (argon2)',
            'groups:   (none)',
            'access:',
            '  repository:team/app:pull,push',
            '  repository:team/*:pull',
            '',
          ].join('\n'),
        );
        assert.ok(!shown.includes(stored.password ?? '') && !shown.includes('$argon2') && !shown.includes('alice-Secret-1'));

        // An existing user is refused, and left as it was.
        await fails(c('user', 'add', service, 'alice', '--password-stdin'), 1, /NAME: the user "alice" already exists in /u, 'other\n');
        assert.deepEqual(await fieldsAt(kind, 'alice'), stored);
      });

      test('passwd, with bcrypt: the other fields are kept', async () => {
        await ok(c('user', 'add', service, 'bert', '--access', 'repository:b:pull', '--password-stdin'), 'first\n');
        assert.equal(
          await ok(c('user', 'passwd', service, 'bert', '--password-stdin', '--hash', 'bcrypt'), 'second-Secret\r\n'),
          `changed the password of user bert in ${service}\n`,
        );
        const stored = await fieldsAt(kind, 'bert');
        assert.equal(stored?.access, 'repository:b:pull');
        assert.equal(await bcryptCompare('second-Secret', stored?.password ?? ''), true);
        assert.match(await ok(c('user', 'show', service, 'bert')), /^password: hashed \(bcrypt\)$/mu);
        await fails(c('user', 'passwd', service, 'nobody', '--password-stdin'), 1, /NAME: there is no user "nobody" in /u, 'x\n');
      });

      test('grant appends entries not there, revoke removes those there; each entry says what became of it', async () => {
        await ok(c('user', 'add', service, 'carl', '--access', 'repository:a:pull', '--password-stdin'), 'carl-Secret\n');
        assert.equal(
          await ok(c('user', 'grant', service, 'carl', 'repository:b:*', 'repository:a:pull', 'repository:c:pull;registry:catalog:*')),
          'granted: repository:b:*\nalready granted: repository:a:pull\ngranted: repository:c:pull\ngranted: registry:catalog:*\n',
        );
        assert.equal((await fieldsAt(kind, 'carl'))?.access, 'repository:a:pull;repository:b:*;repository:c:pull;registry:catalog:*');
        assert.equal(
          await ok(c('user', 'revoke', service, 'carl', 'repository:a:pull', 'repository:zzz:pull')),
          'revoked: repository:a:pull\nnot found: repository:zzz:pull\n',
        );
        assert.equal((await fieldsAt(kind, 'carl'))?.access, 'repository:b:*;repository:c:pull;registry:catalog:*');
        const password = (await fieldsAt(kind, 'carl'))?.password;
        assert.ok(password && (await argon2Verify(password, 'carl-Secret')), 'the password is kept');
      });

      test('groups: add, grant, a user in them; rm refused while named, then --force takes it out of the users too', async () => {
        assert.equal(await ok(c('group', 'add', service, 'devs', '--access', 'repository:team/*:pull')), `added group devs to ${service}\n`);
        await ok(c('group', 'add', service, 'ops'));
        assert.equal(await ok(c('group', 'grant', service, 'devs', 'repository:team/tools:push')), 'granted: repository:team/tools:push\n');
        assert.deepEqual(await fieldsAt(kind, '_groups/devs'), { access: 'repository:team/*:pull;repository:team/tools:push' });
        assert.deepEqual(await fieldsAt(kind, '_groups/ops'), { access: '' });
        await ok(c('user', 'add', service, 'dana', '--groups', 'devs, ops', '--password-stdin'), 'dana-Secret\n');
        assert.equal((await fieldsAt(kind, 'dana'))?.groups, 'devs,ops');
        // Where and as the server reads them.
        assert.deepEqual((await serverView.lookup(kind.cliPath, 'dana'))?.groups, ['devs', 'ops']);
        assert.deepEqual(await serverView.lookupGroup(kind.cliPath, 'devs'), { access: 'repository:team/*:pull;repository:team/tools:push' });
        assert.match(await ok(c('user', 'show', service, 'dana')), /^groups: {3}devs, ops$/mu);
        assert.equal(await ok(c('group', 'list', service)), 'devs\nops\n');
        assert.equal(
          await ok(c('group', 'show', service, 'devs')),
          `name:     devs\nservice:  ${service}\nusers:    dana\naccess:\n  repository:team/*:pull\n  repository:team/tools:push\n`,
        );
        assert.equal(await ok(c('group', 'revoke', service, 'devs', 'repository:team/tools:push')), 'revoked: repository:team/tools:push\n');

        await fails(c('group', 'rm', service, 'devs'), 1, /NAME: the group "devs" is still named by the user dana: .*--force/u);
        assert.ok(await fieldsAt(kind, '_groups/devs'), 'refused: the group is still there');
        assert.equal((await fieldsAt(kind, 'dana'))?.groups, 'devs,ops');

        assert.equal(await ok(c('group', 'rm', service, 'devs', '--force')), `removed group devs from ${service}\ntaken out of the groups of: dana\n`);
        assert.equal(await fieldsAt(kind, '_groups/devs'), null);
        if (kind.metadata) assert.equal((await vault.api('GET', `${kind.metadata}_groups/devs`)).status, 404, 'no versions left');
        assert.equal((await fieldsAt(kind, 'dana'))?.groups, 'ops');
        assert.equal(await ok(c('user', 'groups', service, 'dana', '--set', '')), `groups of user dana in ${service}: (none)\n`);
        assert.equal((await fieldsAt(kind, 'dana'))?.groups, undefined);
        assert.equal(await ok(c('group', 'rm', service, 'ops')), `removed group ops from ${service}\n`);
        assert.equal(await ok(c('group', 'list', service)), '');
      });

      test('list shows the users only (no _groups/ folder), sorted; rm removes a user completely', async () => {
        await ok(c('group', 'add', service, 'listed'));
        await ok(c('user', 'add', service, 'erin', '--password-stdin'), 'erin-Secret\n');
        const listed = (await ok(c('user', 'list', service))).trimEnd().split('\n');
        assert.ok(listed.includes('erin') && !listed.some((name) => name.startsWith('_')), listed.join(','));
        assert.deepEqual(listed, [...listed].sort());
        assert.ok((await keysOf(kind)).includes('_groups/'), 'the groups folder exists beside the users');

        assert.equal(await ok(c('user', 'rm', service, 'erin')), `removed user erin from ${service}\n`);
        assert.equal(await fieldsAt(kind, 'erin'), null);
        if (kind.metadata) assert.equal((await vault.api('GET', `${kind.metadata}erin`)).status, 404, 'KV v2: the metadata is gone too');
        assert.ok(!(await keysOf(kind)).includes('erin'));
        assert.ok(!(await ok(c('user', 'list', service))).split('\n').includes('erin'));
        await fails(c('user', 'rm', service, 'erin'), 1, /NAME: there is no user "erin" in /u);
        await ok(c('group', 'rm', service, 'listed'));
      });

      test('refusals are checked before anything is written, each naming what is wrong', async () => {
        const before = await keysOf(kind);
        const groupsBefore = await keysOf(kind, '_groups/');
        await fails(
          c('user', 'add', service, 'fay', '--access', 'repository:a:pull;repository:b', '--password-stdin'),
          1,
          /--access: entry 2 "repository:b": /u,
          'x\n',
        );
        await fails(c('user', 'add', service, '_fay', '--password-stdin'), 1, /NAME: the user name "_fay" must not start with "_"/u, 'x\n');
        await fails(c('user', 'add', service, 'a/b', '--password-stdin'), 1, /NAME: the user name "a\/b" must not contain "\/"/u, 'x\n');
        await fails(c('user', 'add', service, 'fay', '--groups', 'nosuch', '--password-stdin'), 1, /--groups: no group "nosuch" in /u, 'x\n');
        await fails(c('user', 'add', service, 'fay', '--password-stdin'), 1, /--password-stdin: the first line of stdin is empty/u, '\n');
        await fails(c('user', 'add', service, 'fay'), 2, /no terminal to ask for the password on: pass it on stdin with --password-stdin/u);
        await fails(c('group', 'add', service, 'bad,name'), 1, /NAME: the group name "bad,name" must not contain ","/u);
        await fails(c('group', 'add', service, 'g', '--access', 'repository::pull'), 1, /--access: entry 1 "repository::pull": the resource name is empty/u);
        await ok(c('user', 'add', service, 'gus', '--access', 'repository:a:pull', '--password-stdin'), 'gus-Secret\n');
        const gus = await fieldsAt(kind, 'gus');
        await fails(c('user', 'grant', service, 'gus', 'repository:ok:pull', 'nonsense'), 1, /ENTRY: entry 2 "nonsense": expected type:name:actions/u);
        await fails(c('user', 'groups', service, 'gus', '--set', 'nosuch'), 1, /--set: no group "nosuch"/u);
        assert.deepEqual(await fieldsAt(kind, 'gus'), gus, 'gus unchanged');
        await ok(c('user', 'rm', service, 'gus'));
        assert.deepEqual(await keysOf(kind), before);
        assert.deepEqual(await keysOf(kind, '_groups/'), groupsBefore);
      });

      test('`vault` and the CLI side by side: each reads and edits what the other wrote', async () => {
        // Written as the README says, with a plaintext password as Godoauth had them.
        const fields = ['password=hank-plain', 'access=repository:x:pull;repository:y:*', 'groups=readers'];
        if (kind.version === 1) await vault.cliOk('write', `${kind.cliPath}/hank`, ...fields);
        else await vault.cliOk('kv', 'put', `${kind.cliPath}/hank`, ...fields);
        if (kind.version === 1) await vault.cliOk('write', `${kind.cliPath}/_groups/readers`, 'access=repository:docs:pull');
        else await vault.cliOk('kv', 'put', `${kind.cliPath}/_groups/readers`, 'access=repository:docs:pull');

        const shown = await ok(c('user', 'show', service, 'hank'));
        assert.match(shown, /^password: plaintext \(not hashed: /mu);
        assert.match(shown, /^groups: {3}readers$/mu);
        assert.match(shown, /^access:\n {2}repository:x:pull\n {2}repository:y:\*$/mu);
        assert.ok(!shown.includes('hank-plain'));
        assert.match(await ok(c('group', 'show', service, 'readers')), /^users: {4}hank$/mu);
        await ok(c('user', 'revoke', service, 'hank', 'repository:y:*'));
        const read = async (key: string): Promise<Record<string, string>> => {
          const args = kind.version === 1 ? ['read', '-format=json', `${kind.cliPath}/${key}`] : ['kv', 'get', '-format=json', `${kind.cliPath}/${key}`];
          const data = (JSON.parse(await vault.cliOk(...args)) as { data: Record<string, unknown> }).data;
          return (kind.version === 2 ? data.data : data) as Record<string, string>;
        };
        assert.deepEqual(await read('hank'), { password: 'hank-plain', access: 'repository:x:pull', groups: 'readers' });

        // Written by the CLI: `vault read` gives the same fields as the API.
        await ok(c('user', 'add', service, 'ivy', '--access', 'repository:z:pull', '--groups', 'readers', '--password-stdin'), 'ivy-Secret\n');
        const ivy = await read('ivy');
        assert.deepEqual(ivy, await fieldsAt(kind, 'ivy'));
        assert.deepEqual(Object.keys(ivy).sort(), ['access', 'groups', 'password']);
        assert.equal(ivy.groups, 'readers');
        assert.ok(await argon2Verify(ivy.password ?? '', 'ivy-Secret'));
        assert.equal((await read('_groups/readers')).access, 'repository:docs:pull');
      });
    });
  }

  test('KV v2: a user deleted with `vault kv delete` is not listed, and can be added again', async () => {
    const c = (...args: string[]): string[] => [...args, '--config', config];
    await ok(c('user', 'add', 'registry2', 'jack', '--password-stdin'), 'jack-1\n');
    await vault.cliOk('kv', 'delete', 'registry2/jack');
    assert.ok(!(await ok(c('user', 'list', 'registry2'))).split('\n').includes('jack'));
    await ok(c('user', 'add', 'registry2', 'jack', '--password-stdin'), 'jack-2\n');
    const { body } = await vault.api('GET', 'registry2/data/jack');
    assert.ok(await argon2Verify((body as { data: { data: { password: string } } }).data.data.password, 'jack-2'));
  });

  test('services: not configured, not a KV mount, or one of Vault own paths are refused', async () => {
    const c = (...args: string[]): string[] => [...args, '--config', config];
    await fails(
      c('user', 'list', 'nope'),
      1,
      /^vault-registry-auth: SERVICE: the service "nope" is not configured \(services: registry, registry2, team, pki, internal\)\n$/u,
    );
    await fails(c('user', 'add', 'pki', 'kim', '--password-stdin'), 1, /the mount pki is not a KV secrets engine/u, 'x\n');
    await fails(c('group', 'add', 'internal', 'g'), 1, /sys is one of Vault's own paths, never a user store/u);
    assert.equal((await vault.api('GET', 'pki/kim')).status === 200, false);
  });

  test('a token whose policy may only read: exit 1, and the message names the path and the capability', async () => {
    await apiOk(vault, 'PUT', 'sys/policies/acl/read-users', {
      policy:
        'path "registry/*" { capabilities = ["read", "list"] }\npath "registry2/data/*" { capabilities = ["read"] }\npath "registry2/metadata/*" { capabilities = ["read", "list"] }\n',
    });
    const { token } = await createToken(vault, { policies: ['read-users'] });
    const limited = path.join(dir, 'limited.yml');
    await writeFile(
      limited,
      yaml.dump({
        storage: { vault: { addr: vault.address, auth_token: token } },
        token: TOKEN_SECTION,
        services: [{ name: 'registry' }, { name: 'registry2' }],
      }),
    );
    await ok(['user', 'add', 'registry', 'lee', '--password-stdin', '-c', config], 'lee-Secret\n');
    await ok(['user', 'add', 'registry2', 'lee', '--password-stdin', '-c', config], 'lee-Secret\n');
    assert.match(await ok(['user', 'list', 'registry', '-c', limited]), /^lee$/mu, 'reading is allowed');

    await fails(
      ['user', 'add', 'registry', 'mia', '--password-stdin', '-c', limited],
      1,
      /^vault-registry-auth: Vault denied update on registry\/mia: the token's policy needs "create" and "update" on it\n$/u,
      'mia-Secret\n',
    );
    await fails(
      ['user', 'grant', 'registry2', 'lee', 'repository:x:pull', '-c', limited],
      1,
      /^vault-registry-auth: Vault denied update on registry2\/data\/lee: the token's policy needs "create" and "update" on it\n$/u,
    );
    await fails(
      ['user', 'rm', 'registry2', 'lee', '-c', limited],
      1,
      /Vault denied delete on registry2\/metadata\/lee: the token's policy needs "delete" on it/u,
    );
    assert.equal((await vault.api('GET', 'registry/mia')).status, 404);
    assert.equal((await vault.api('GET', 'registry2/data/lee')).status, 200);
  });

  test('the built CLI: a password piped to stdin, and exit codes 0, 1 and 2', async () => {
    const piped = await run('sh', ['-c', `printf 'nora-Secret\\n' | "${process.execPath}" "${CLI}" user add registry nora --password-stdin -c "${config}"`], {
      env: { VAULT_TOKEN: '' },
    });
    assert.deepEqual([piped.code, piped.stdout, piped.stderr], [0, 'added user nora to registry\n', '']);
    const stored = (await vault.api('GET', 'registry/nora')).body as { data: { password: string } };
    assert.ok(await argon2Verify(stored.data.password, 'nora-Secret'));

    const shown = await run(process.execPath, [CLI, 'user', 'show', 'registry', 'nora', '-c', config]);
    assert.equal(shown.code, 0);
    assert.ok(!shown.stdout.includes(stored.data.password));

    const missing = await run(process.execPath, [CLI, 'user', 'show', 'registry', 'nobody', '-c', config]);
    assert.deepEqual([missing.code, missing.stderr], [1, 'vault-registry-auth: NAME: there is no user "nobody" in registry\n']);

    for (const [args, message] of [
      [['user', 'add', 'registry'], /^vault-registry-auth: missing required argument 'name' \(see: vault-registry-auth user add --help\)\n$/u],
      [['user', 'add', 'registry', 'x', '--hash', 'md5'], /argument 'md5' is invalid\. Allowed choices are argon2id, bcrypt/u],
      [['user', 'frobnicate'], /unknown command 'frobnicate'/u],
      [['group', 'rm', 'registry', 'x', '--nope'], /unknown option '--nope'/u],
      [['user', 'groups', 'registry', 'nora'], /required option '--set <groups>' not specified/u],
      [
        ['user', 'add', 'registry', 'x', '-c', path.join(dir, 'absent.yml')],
        /^vault-registry-auth: invalid configuration in .*absent\.yml: cannot read the file: ENOENT\n$/u,
      ],
    ] as Array<[string[], RegExp]>) {
      const result = await run(process.execPath, [CLI, ...args, ...(args.includes('-c') ? [] : ['-c', config])]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
    }
  });
});

describe('user and group commands against the YAML user file', () => {
  let dir: string;
  let config: string;
  let usersFile: string;
  const c = (...args: string[]): string[] => [...args, '-c', config];
  type UsersDocument = Record<string, Record<string, Record<string, unknown>>>;
  const usersDocument = async (): Promise<UsersDocument> => yaml.load(await readFile(usersFile, 'utf8')) as UsersDocument;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-cli-file-'));
    config = path.join(dir, 'config.yml');
    usersFile = path.join(dir, 'data', 'users.yml');
    await writeFile(
      config,
      yaml.dump({
        storage: { file: { path: 'data/users.yml' } },
        token: TOKEN_SECTION,
        services: [{ name: 'registry' }, { name: 'team', mount: 'team-users' }],
      }),
    );
    // The file as the server's first start leaves it: a header and an admin.
    assert.ok(await createUserFileIfMissing(usersFile, 'registry'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('add: hashed in the file, which stays 0600 with its header and other users; the server reads the user; show never prints the hash', async () => {
    const admin = (await usersDocument()).registry?.admin;
    assert.equal(
      await ok(c('user', 'add', 'registry', 'alice', '--access', 'repository:a:*', '--groups', '', '--password-stdin'), 'alice-Secret\n'),
      'added user alice to registry\n',
    );
    const text = await readFile(usersFile, 'utf8');
    assert.ok(text.startsWith('# Users of the embedded default'), 'the header is kept');
    assert.equal((await stat(usersFile)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(path.dirname(usersFile)), ['users.yml'], 'no temporary file left');
    const document = await usersDocument();
    assert.deepEqual(document.registry?.admin, admin);
    const alice = document.registry?.alice as { password: string; access: string };
    assert.deepEqual(Object.keys(alice).sort(), ['access', 'password']);
    assert.equal(alice.access, 'repository:a:*');
    assert.notEqual(alice.password, 'alice-Secret');
    assert.ok(await argon2Verify(alice.password, 'alice-Secret'));
    const record = await new FileUserStore(usersFile).lookup('registry', 'alice');
    assert.deepEqual([record?.password, record?.access], [alice.password, 'repository:a:*']);

    const shown = await ok(c('user', 'show', 'registry', 'alice'));
    assert.equal(shown, 'name:     alice\nservice:  registry\npassword: hashed (argon2)\ngroups:   (none)\naccess:\n  repository:a:*\n');
    const adminShown = await ok(c('user', 'show', 'registry', 'admin'));
    assert.match(adminShown, /^password: (hashed \(argon2\)|plaintext \(not hashed: .*)$/mu);
    assert.ok(!adminShown.includes(String(admin?.password)));
    assert.equal(await ok(c('user', 'list', 'registry')), 'admin\nalice\n');
  });

  test("a service's mapping is made on its first user; grant, revoke, passwd, rm", async () => {
    await ok(c('user', 'add', 'team', 'bob', '--password-stdin', '--hash', 'bcrypt'), 'bob-Secret\n');
    assert.ok(await bcryptCompare('bob-Secret', String((await usersDocument())['team-users']?.bob?.password)));
    assert.equal(
      await ok(c('user', 'grant', 'team', 'bob', 'repository:t/*:pull', 'repository:t/app:push')),
      'granted: repository:t/*:pull\ngranted: repository:t/app:push\n',
    );
    assert.equal(
      await ok(c('user', 'revoke', 'team', 'bob', 'repository:t/*:pull', 'repository:t/other:pull')),
      'revoked: repository:t/*:pull\nnot found: repository:t/other:pull\n',
    );
    assert.equal((await usersDocument())['team-users']?.bob?.access, 'repository:t/app:push');
    await ok(c('user', 'passwd', 'team', 'bob', '--password-stdin'), 'bob-New\n');
    const bob = (await usersDocument())['team-users']?.bob as { password: string; access: string };
    assert.ok(await argon2Verify(bob.password, 'bob-New'));
    assert.equal(bob.access, 'repository:t/app:push');
    assert.equal(await ok(c('user', 'rm', 'team', 'bob')), 'removed user bob from team\n');
    assert.deepEqual((await usersDocument())['team-users'], {});
    assert.equal((await stat(usersFile)).mode & 0o777, 0o600);
  });

  test('groups: under _groups, never listed as users; rm refused while named, --force takes it out of them', async () => {
    await ok(c('group', 'add', 'registry', 'devs', '--access', 'repository:team/*:pull'));
    await ok(c('user', 'add', 'registry', 'carl', '--groups', 'devs', '--password-stdin'), 'carl-Secret\n');
    assert.deepEqual((await usersDocument()).registry?._groups, { devs: { access: 'repository:team/*:pull' } });
    assert.equal((await usersDocument()).registry?.carl?.groups, 'devs');
    const serverView = new FileUserStore(usersFile);
    assert.deepEqual((await serverView.lookup('registry', 'carl'))?.groups, ['devs']);
    assert.deepEqual(await serverView.lookupGroup('registry', 'devs'), { access: 'repository:team/*:pull' });
    assert.equal(await ok(c('group', 'list', 'registry')), 'devs\n');
    assert.ok(!(await ok(c('user', 'list', 'registry'))).includes('_groups'));
    await fails(c('group', 'rm', 'registry', 'devs'), 1, /the group "devs" is still named by the user carl/u);
    assert.ok((await usersDocument()).registry?._groups?.devs);
    await ok(c('group', 'rm', 'registry', 'devs', '--force'));
    const document = await usersDocument();
    assert.equal(document.registry?._groups, undefined, 'no empty _groups left');
    assert.equal(document.registry?.carl?.groups, undefined);
  });

  test('refusals write nothing: the file is byte for byte as it was', async () => {
    const text = await readFile(usersFile, 'utf8');
    await fails(c('user', 'add', 'registry', 'dan', '--access', 'repository:a:pull;bad', '--password-stdin'), 1, /--access: entry 2 "bad"/u, 'x\n');
    await fails(c('user', 'add', 'registry', '_dan', '--password-stdin'), 1, /must not start with "_"/u, 'x\n');
    await fails(c('user', 'add', 'registry', 'dan', '--groups', 'ghosts', '--password-stdin'), 1, /--groups: no group "ghosts"/u, 'x\n');
    await fails(c('user', 'add', 'elsewhere', 'dan', '--password-stdin'), 1, /SERVICE: the service "elsewhere" is not configured/u, 'x\n');
    await fails(c('user', 'add', 'registry', 'alice', '--password-stdin'), 1, /already exists/u, 'x\n');
    await fails(c('user', 'grant', 'registry', 'alice', 'repository:x:'), 1, /ENTRY: entry 1 "repository:x:": no actions/u);
    await fails(c('user', 'rm', 'registry', 'nobody'), 1, /there is no user "nobody"/u);
    await fails(c('group', 'grant', 'registry', 'nogroup', 'repository:x:pull'), 1, /there is no group "nogroup"/u);
    await fails(c('user', 'groups', 'registry', 'alice', '--set', 'a,_b'), 1, /--set: the group name "_b" must not start with "_"/u);
    assert.equal(await readFile(usersFile, 'utf8'), text);
  });
});
