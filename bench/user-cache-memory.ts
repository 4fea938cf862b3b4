/**
 * How much memory the user cache takes for many distinct users: fills a
 * CachingUserStore with N users (realistic entries: a bcrypt-length password
 * field and a three-entry access string) and prints the heap it holds.
 *
 *   npm run bench:cache-memory [-- 100000]
 *
 * Run with --expose-gc (the npm script does) so the numbers are after a
 * collection.
 */
import { CachingUserStore } from '../src/users/caching-user-store.js';
import type { GroupRecord, UserRecord, UserStore } from '../src/users/user-store.js';
import { systemClock } from '../src/util/clock.js';

const count = Number(process.argv[2] ?? 100_000);

class GeneratedStore implements UserStore {
  async lookup(_mount: string, account: string): Promise<UserRecord | null> {
    return {
      password: `$2b$10$${account.padEnd(53, 'x')}`,
      access: `repository:${account}/*:*;repository:team/app:pull;registry:catalog:*`,
      groups: ['devs'],
    };
  }
  async lookupGroup(): Promise<GroupRecord | null> {
    return null;
  }
  async lookupAnonymous(): Promise<GroupRecord | null> {
    return null;
  }
  describe(): string {
    return 'generated';
  }
  async close(): Promise<void> {}
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

const cache = new CachingUserStore(new GeneratedStore(), { ttlMs: 3_600_000, negativeTtlMs: 5000, staleMs: 0, maxEntries: count }, systemClock);
const before = heap();
for (let i = 0; i < count; i++) await cache.lookup('registry', `user-${String(i).padStart(7, '0')}`);
const after = heap();
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
console.log(`users cached:       ${cache.size}`);
console.log(`heap held by cache: ${mb(after - before)} MB (${Math.round((after - before) / count)} bytes a user)`);
console.log(`process RSS:        ${mb(process.memoryUsage().rss)} MB${gc ? '' : ' (run with --expose-gc for exact numbers)'}`);
