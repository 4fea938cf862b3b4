/**
 * A user's access sources as the server and `explain` read them
 * (src/users/access-sources.ts), from a real user file: the limit of 32
 * groups per user at its value and one past it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import yaml from 'js-yaml';
import { decide, MAX_GROUPS_PER_USER } from '../../src/domain/grant.js';
import { formatScope } from '../../src/domain/scope.js';
import { userAccess } from '../../src/users/access-sources.js';
import { FileUserStore } from '../../src/users/file-user-store.js';

let dir: string;
let store: FileUserStore;
const group = (i: number) => `g${String(i).padStart(2, '0')}`;
const groups = (count: number) => Array.from({ length: count }, (_, i) => group(i + 1));

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-sources-'));
  const users = {
    registry: {
      at: { password: 'x', access: '', groups: groups(MAX_GROUPS_PER_USER).join(',') },
      past: { password: 'x', access: '', groups: groups(MAX_GROUPS_PER_USER + 2) },
      _groups: Object.fromEntries(groups(MAX_GROUPS_PER_USER + 2).map((name) => [name, { access: `repository:${name}:pull` }])),
    },
  };
  await writeFile(path.join(dir, 'users.yml'), yaml.dump(users));
  store = new FileUserStore(path.join(dir, 'users.yml'));
});
after(() => rm(dir, { recursive: true, force: true }));

const requested = [MAX_GROUPS_PER_USER, MAX_GROUPS_PER_USER + 1].map((i) => ({ type: 'repository', name: group(i), actions: ['pull'] }));

async function accessOf(account: string) {
  const user = await store.lookup('registry', account);
  assert.ok(user);
  return userAccess(store, 'registry', user);
}

test('32 groups are all read', async () => {
  const { sources, problems } = await accessOf('at');
  assert.equal(sources.length, 1 + MAX_GROUPS_PER_USER);
  assert.deepEqual(problems, []);
  assert.deepEqual(decide(requested.slice(0, 1), sources, 'at').granted.map(formatScope), ['repository:g32:pull']);
});

test('past 32 groups, the ones after the 32nd are ignored and named in one problem', async () => {
  const { sources, problems } = await accessOf('past');
  assert.deepEqual(
    sources.slice(1).map((source) => (source.source.kind === 'group' ? source.source.name : '')),
    groups(MAX_GROUPS_PER_USER),
  );
  assert.deepEqual(problems, ['more than 32 groups: g33, g34 ignored']);
  // The 32nd group's rights count, the 33rd's do not.
  assert.deepEqual(decide(requested, sources, 'past').granted.map(formatScope), ['repository:g32:pull']);
});
