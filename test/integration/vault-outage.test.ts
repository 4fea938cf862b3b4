/**
 * Vault's bad days, with the real Vault: its process stopped and started
 * again, sealed and unsealed, and slow or cut connections (a TCP proxy, the
 * one thing no real peer can do on demand). Cached users keep getting tokens
 * within the stale window; everyone else gets a quick 503 with Retry-After;
 * no request waits past the storage timeout; the server recovers by itself;
 * the log has one line per transition. Time (cache ages, the breaker's
 * cooldown) is a manual clock; only Vault calls take real time.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { freePort } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'the user store is unavailable, try again later' }] };
const TIMEOUT_MS = 1000;

async function seed(vault: VaultServer): Promise<void> {
  await vault.enableKv('registry', 1);
  await vault.putUser('registry', 1, 'cached', 'cached-Secret', 'repository:team/app:pull');
  await vault.putUser('registry', 1, 'fresh', 'fresh-Secret', 'repository:team/app:pull');
  await vault.putUser('registry', 1, 'late', 'late-Secret', 'repository:team/app:pull');
}

/** Asks for a token and says how long the answer took. */
async function timed(server: TestServer, user: string): Promise<{ status: number; body: unknown; retryAfter: string | null; ms: number }> {
  const started = Date.now();
  const { status, body, headers } = await getToken(server, 'service=registry&scope=repository:team/app:pull', [user, `${user}-Secret`]);
  return { status, body, retryAfter: headers.get('retry-after'), ms: Date.now() - started };
}

function transitions(server: TestServer): string[] {
  return server
    .logs()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { message: string; reason?: string })
    .filter((line) => line.message.startsWith('Vault lost') || line.message === 'Vault back')
    .map((line) => (line.reason ? `lost: ${line.reason}` : 'back'));
}

describe('Vault outages', { skip: peers.skip }, () => {
  let clock: ManualClock;
  let server: TestServer | undefined;
  let vault: VaultServer | undefined;
  let proxy: TcpProxy | undefined;

  const start = async (address: string): Promise<TestServer> => {
    clock = new ManualClock();
    server = await startTestServer(
      {
        storage: { vault: { addr: address, auth_token: 'vra-test-root-token', timeout: `${TIMEOUT_MS}ms`, circuit_breaker: { failures: 2, cooldown: '5s' } } },
        cache: { ttl: '30s', stale: '5m' },
        services: [{ name: 'registry' }],
      },
      { clock },
    );
    return server;
  };

  before(() => {
    clock = new ManualClock();
  });
  afterEach(async () => {
    await server?.close();
    await proxy?.close();
    await vault?.stop();
    server = undefined;
    proxy = undefined;
    vault = undefined;
  });
  after(() => {});

  test('the Vault process stops: cached users served within the stale window, others 503 fast; back by itself', async () => {
    const port = await freePort();
    vault = await VaultServer.start(peers.paths.vault, { port });
    await seed(vault);
    const auth = await start(vault.address);
    assert.equal((await timed(auth, 'cached')).status, 200);

    await vault.stop();
    clock.advance(31_000); // past the TTL: the cache must ask Vault, which is gone
    const stale = await timed(auth, 'cached');
    assert.equal(stale.status, 200, 'a cached user, within the stale window');
    const refused = await timed(auth, 'fresh');
    assert.deepEqual([refused.status, refused.body, refused.retryAfter], [503, UNAVAILABLE, '5']);
    // The breaker is open now: answers come at once, with the time left.
    clock.advance(2000);
    const fast = await timed(auth, 'fresh');
    assert.deepEqual([fast.status, fast.retryAfter], [503, '3']);
    assert.ok(fast.ms < TIMEOUT_MS, `the open breaker answered in ${fast.ms} ms`);
    assert.equal((await timed(auth, 'cached')).status, 200);

    // The stale window is a bound: 30 s TTL + 5 min, then 503 for everyone.
    clock.advance(30_000 + 300_000 - 33_000 - 1);
    assert.equal((await timed(auth, 'cached')).status, 200);
    clock.advance(1);
    assert.deepEqual((await timed(auth, 'cached')).status, 503);

    // Vault comes back (a dev server starts empty: seed it again).
    vault = await VaultServer.start(peers.paths.vault, { port });
    await seed(vault);
    clock.advance(5000); // the breaker lets a probe through
    assert.equal((await timed(auth, 'fresh')).status, 200);
    assert.equal((await timed(auth, 'cached')).status, 200);
    assert.deepEqual(transitions(auth), ['lost: Vault cannot be reached (ECONNREFUSED)', 'back']);
  });

  test('a sealed Vault: 503 for users not cached, stale answers for cached ones; unsealed, back', async () => {
    vault = await VaultServer.start(peers.paths.vault);
    await seed(vault);
    const auth = await start(vault.address);
    assert.equal((await timed(auth, 'cached')).status, 200);
    assert.equal((await vault.api('PUT', 'sys/seal')).status, 204);
    clock.advance(31_000);
    assert.equal((await timed(auth, 'cached')).status, 200);
    const refused = await timed(auth, 'fresh');
    assert.deepEqual([refused.status, refused.body, refused.retryAfter], [503, UNAVAILABLE, '5']);
    for (let i = 0; i < 5; i++) assert.equal((await timed(auth, 'fresh')).status, 503);

    assert.equal((await vault.api('PUT', 'sys/unseal', { key: vault.unsealKey() })).status, 200);
    clock.advance(5000);
    assert.equal((await timed(auth, 'fresh')).status, 200);
    assert.deepEqual(transitions(auth), ['lost: Vault is sealed or unavailable', 'back']);
  });

  test('a slow Vault, then a hanging one, then cut connections: no request waits past the timeout', async () => {
    vault = await VaultServer.start(peers.paths.vault);
    await seed(vault);
    proxy = await TcpProxy.start(Number(new URL(vault.address).port));
    const auth = await start(`http://127.0.0.1:${proxy.port}`);
    assert.equal((await timed(auth, 'cached')).status, 200);

    // Slow but within the timeout: still served.
    proxy.set('slow', 300);
    const slow = await timed(auth, 'fresh');
    assert.equal(slow.status, 200);

    // Slower than the timeout: the deadline answers, for the cached user
    // with the stale entry, for the other with a 503.
    proxy.set('slow', 3000);
    clock.advance(31_000);
    const staleAfterDeadline = await timed(auth, 'cached');
    assert.equal(staleAfterDeadline.status, 200);
    assert.ok(staleAfterDeadline.ms < TIMEOUT_MS + 500, `answered after ${staleAfterDeadline.ms} ms`);
    const deadline = await timed(auth, 'late');
    assert.deepEqual([deadline.status, deadline.body], [503, UNAVAILABLE]);
    assert.ok(deadline.ms < TIMEOUT_MS + 500, `answered after ${deadline.ms} ms`);

    // Hanging and cut connections: the breaker is open, answers are immediate.
    for (const mode of ['stall', 'cut'] as const) {
      proxy.set(mode);
      const answer = await timed(auth, 'late');
      assert.deepEqual([answer.status, answer.body], [503, UNAVAILABLE], mode);
      assert.ok(answer.ms < TIMEOUT_MS, `${mode}: answered after ${answer.ms} ms`);
    }

    proxy.set('forward');
    clock.advance(5000);
    assert.equal((await timed(auth, 'late')).status, 200);
    assert.deepEqual(transitions(auth), ['lost: Vault did not answer in time', 'back']);
  });
});
