import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { unavailable, unknownService } from '../../src/errors.js';
import { CachingUserStore, type UserCacheSettings } from '../../src/users/caching-user-store.js';
import { FileUserStore } from '../../src/users/file-user-store.js';
import type { GroupRecord, UserRecord, UserStore } from '../../src/users/user-store.js';
import { ManualClock } from '../helpers/clock.js';

/** An in-memory store that counts its lookups and can be made unavailable. */
class MemoryStore implements UserStore {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  calls = 0;
  down = false;
  gate: Promise<void> | null = null;
  async lookup(mount: string, account: string): Promise<UserRecord | null> {
    this.calls += 1;
    if (this.gate) await this.gate;
    if (this.down) throw unavailable('store down');
    if (mount === 'sys') throw unknownService(mount);
    return this.users.get(`${mount}/${account}`) ?? null;
  }
  async lookupGroup(mount: string, group: string): Promise<GroupRecord | null> {
    this.calls += 1;
    if (this.down) throw unavailable('store down');
    return this.groups.get(`${mount}/${group}`) ?? null;
  }
  async lookupAnonymous(mount: string): Promise<GroupRecord | null> {
    return this.lookupGroup(mount, '_anonymous');
  }
  describe(): string {
    return 'memory';
  }
  async close(): Promise<void> {}
}

const SETTINGS: UserCacheSettings = { ttlMs: 30_000, negativeTtlMs: 5000, staleMs: 300_000, maxEntries: 100 };
const ALICE = { password: 'a', access: 'repository:a:pull', groups: ['devs'] };

function setUp(settings: Partial<UserCacheSettings> = {}) {
  const clock = new ManualClock();
  const inner = new MemoryStore();
  inner.users.set('registry/alice', ALICE);
  return { clock, inner, cache: new CachingUserStore(inner, { ...SETTINGS, ...settings }, clock) };
}

test('a user is read once per TTL; a deleted user is gone after at most the TTL', async () => {
  const { clock, inner, cache } = setUp();
  assert.deepEqual(await cache.lookup('registry', 'alice'), ALICE);
  clock.advance(29_999);
  inner.users.delete('registry/alice');
  assert.deepEqual(await cache.lookup('registry', 'alice'), ALICE);
  assert.equal(inner.calls, 1);
  clock.advance(1);
  assert.equal(await cache.lookup('registry', 'alice'), null);
  assert.equal(inner.calls, 2);
});

test('unknown users are remembered for the shorter negative TTL', async () => {
  const { clock, inner, cache } = setUp();
  for (let i = 0; i < 10; i++) assert.equal(await cache.lookup('registry', 'nobody'), null);
  assert.equal(inner.calls, 1);
  clock.advance(5000);
  inner.users.set('registry/nobody', ALICE);
  assert.deepEqual(await cache.lookup('registry', 'nobody'), ALICE);
  assert.equal(inner.calls, 2);
});

test('concurrent misses for one user make one lookup', async () => {
  const { inner, cache } = setUp();
  let open = () => {};
  inner.gate = new Promise((resolve) => {
    open = resolve;
  });
  const answers = Promise.all(Array.from({ length: 50 }, () => cache.lookup('registry', 'alice')));
  open();
  assert.deepEqual(
    await answers,
    Array.from({ length: 50 }, () => ALICE),
  );
  assert.equal(inner.calls, 1);
});

test('store unavailable: a known user is served for at most the stale window past the TTL, then UNAVAILABLE', async () => {
  const { clock, inner, cache } = setUp();
  await cache.lookup('registry', 'alice');
  inner.down = true;
  clock.advance(30_000 + 299_999);
  assert.deepEqual(await cache.lookup('registry', 'alice'), ALICE);
  clock.advance(1);
  await assert.rejects(cache.lookup('registry', 'alice'), { code: 'UNAVAILABLE' });
  // Everyone else, and users known not to exist, get UNAVAILABLE at once.
  await assert.rejects(cache.lookup('registry', 'bob'), { code: 'UNAVAILABLE' });
  // Vault back: fresh answers again.
  inner.down = false;
  assert.deepEqual(await cache.lookup('registry', 'alice'), ALICE);
});

test('a stale window of 0 serves nothing past the TTL', async () => {
  const { clock, inner, cache } = setUp({ staleMs: 0 });
  await cache.lookup('registry', 'alice');
  inner.down = true;
  clock.advance(30_000);
  await assert.rejects(cache.lookup('registry', 'alice'), { code: 'UNAVAILABLE' });
});

test('other errors pass through and are not cached', async () => {
  const { inner, cache } = setUp();
  await assert.rejects(cache.lookup('sys', 'alice'), { code: 'UNKNOWN_SERVICE' });
  await assert.rejects(cache.lookup('sys', 'alice'), { code: 'UNKNOWN_SERVICE' });
  assert.equal(inner.calls, 2);
});

test('bounded: never more than max_entries users, least recently used evicted first', async () => {
  const { inner, cache } = setUp({ maxEntries: 1000 });
  await cache.lookup('registry', 'alice');
  for (let i = 0; i < 5000; i++) {
    await cache.lookup('registry', `user${i}`);
    if (i % 100 === 0) await cache.lookup('registry', 'alice');
  }
  // Names not found are remembered apart, up to max_entries of them: alice is one of the users.
  assert.deepEqual([cache.size - cache.absentSize, cache.absentSize], [1, 1000]);
  const before = inner.calls;
  await cache.lookup('registry', 'alice');
  assert.equal(inner.calls, before, 'a user used recently is still cached');
  await cache.lookup('registry', 'user0');
  assert.equal(inner.calls, before + 1, 'an old one was evicted');
});

test('groups are cached like users, apart from users of the same name', async () => {
  const { clock, inner, cache } = setUp();
  inner.groups.set('registry/devs', { access: 'repository:team/**:pull' });
  inner.users.set('registry/devs', ALICE);
  assert.deepEqual(await cache.lookupGroup('registry', 'devs'), { access: 'repository:team/**:pull' });
  assert.deepEqual(await cache.lookup('registry', 'devs'), ALICE);
  assert.deepEqual(await cache.lookupGroup('registry', 'devs'), { access: 'repository:team/**:pull' });
  assert.equal(inner.calls, 2);
  inner.groups.delete('registry/devs');
  clock.advance(30_000);
  assert.equal(await cache.lookupGroup('registry', 'devs'), null);
  inner.down = true;
  inner.groups.set('registry/ops', { access: '' });
  clock.advance(5000);
  await assert.rejects(cache.lookupGroup('registry', 'ops'), { code: 'UNAVAILABLE' });
});

test('a flood of 50,000 made-up names (the real user file behind): at most max_entries remembered, and a real user is neither evicted nor lost to the stale window', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-cache-flood-'));
  const file = path.join(dir, 'users.yml');
  await writeFile(file, yaml.dump({ registry: { alice: ALICE } }));
  const clock = new ManualClock();
  const cache = new CachingUserStore(new FileUserStore(file), { ...SETTINGS, maxEntries: 1000 }, clock);
  try {
    assert.deepEqual(await cache.lookup('registry', 'alice'), { ...ALICE, groups: ['devs'] });
    for (let i = 0; i < 50_000; i += 1) assert.equal(await cache.lookup('registry', `nobody-${i}`), null);
    assert.deepEqual([cache.size, cache.absentSize], [1001, 1000]);
    // The file gone (the store unavailable) past alice's TTL: she is served from the stale window.
    await rm(file);
    clock.advance(SETTINGS.ttlMs + 1);
    assert.deepEqual(await cache.lookup('registry', 'alice'), { ...ALICE, groups: ['devs'] });
    await assert.rejects(cache.lookup('registry', 'nobody-49999'), { code: 'UNAVAILABLE' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a user deleted from the store is not served stale afterwards', async () => {
  const { clock, inner, cache } = setUp();
  await cache.lookup('registry', 'alice');
  inner.users.delete('registry/alice');
  clock.advance(30_000);
  assert.equal(await cache.lookup('registry', 'alice'), null);
  inner.down = true;
  clock.advance(5000);
  await assert.rejects(cache.lookup('registry', 'alice'), { code: 'UNAVAILABLE' });
});
