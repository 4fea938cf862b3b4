/**
 * /healthz and /readyz against the real Vault: ready; Vault stopped — not
 * ready at once without a user cache, still ready within the stale window
 * with one (then not, once the window has passed: a manual clock); Vault
 * back — ready again. /healthz says ok throughout: a Vault outage must not
 * get the pod restarted. vra_vault_up follows.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { freePort } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { series } from '../helpers/prometheus.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const LOST = 'Vault cannot be reached (ECONNREFUSED)';

async function seed(vault: VaultServer): Promise<void> {
  await vault.enableKv('registry', 1);
  await vault.putUser('registry', 1, 'cached', 'cached-Secret', 'repository:team/app:pull');
  await vault.putUser('registry', 1, 'fresh', 'fresh-Secret', 'repository:team/app:pull');
}

const token = async (server: TestServer, user: string): Promise<number> =>
  (await getToken(server, 'service=registry&scope=repository:team/app:pull', [user, `${user}-Secret`])).status;

async function probe(server: TestServer, path: '/healthz' | '/readyz'): Promise<[number, string | null, unknown]> {
  const response = await fetch(`${server.url}${path}`);
  return [response.status, response.headers.get('cache-control'), await response.json()];
}

const LIVE = [200, 'no-store', { status: 'ok' }];
const READY = [200, 'no-store', { status: 'ready', checks: { signing_key: 'ok', storage: 'ok' } }];
const notReady = (storage: string) => [503, 'no-store', { status: 'not ready', checks: { signing_key: 'ok', storage } }];

async function vaultUp(server: TestServer): Promise<number | undefined> {
  return series(await (await fetch(`${server.url}/metrics`)).text(), 'vra_vault_up')[''];
}

describe('readiness with Vault', { skip: peers.skip }, () => {
  let server: TestServer | undefined;
  let vault: VaultServer | undefined;
  afterEach(async () => {
    await server?.close();
    await vault?.stop();
    server = undefined;
    vault = undefined;
  });

  const start = async (clock: ManualClock, cache: Record<string, unknown>): Promise<{ server: TestServer; vault: VaultServer; port: number }> => {
    const port = await freePort();
    vault = await VaultServer.start(peers.paths.vault, { port });
    await seed(vault);
    server = await startTestServer(
      {
        storage: { vault: { addr: vault.address, auth_token: 'vra-test-root-token', timeout: '1s', circuit_breaker: { failures: 3, cooldown: '5s' } } },
        cache,
        services: [{ name: 'registry' }],
      },
      { clock },
    );
    return { server, vault, port };
  };

  test('cache off: not ready as soon as Vault is lost, ready again when it is back', async () => {
    const clock = new ManualClock();
    const started = await start(clock, { ttl: 0 });
    const auth = started.server;
    assert.deepEqual(await probe(auth, '/readyz'), READY);
    assert.equal(await vaultUp(auth), 1);

    await started.vault.stop();
    // Nothing calls Vault on its own here: the first token request finds it gone.
    assert.equal(await token(auth, 'fresh'), 503);
    clock.advance(12_000);
    assert.deepEqual(
      await probe(auth, '/readyz'),
      notReady(`Vault unavailable for 12 s (${LOST}); the user cache is off (cache.ttl 0), so no user can be served`),
    );
    assert.deepEqual(await probe(auth, '/healthz'), LIVE);
    const metrics = await (await fetch(`${auth.url}/metrics`)).text();
    assert.equal(series(metrics, 'vra_vault_up')[''], 0);
    assert.deepEqual(series(metrics, 'vra_vault_errors_total'), { '{kind="unreachable"}': 1 });

    vault = await VaultServer.start(peers.paths.vault, { port: started.port });
    await seed(vault);
    assert.equal(await token(auth, 'fresh'), 200);
    assert.deepEqual(await probe(auth, '/readyz'), READY);
    assert.equal(await vaultUp(auth), 1);
    assert.deepEqual(await probe(auth, '/healthz'), LIVE);
  });

  test('cache on: ready within the stale window, not ready past it, ready when Vault is back', async () => {
    const clock = new ManualClock();
    const started = await start(clock, { ttl: '30s', stale: '5m' });
    const auth = started.server;
    assert.equal(await token(auth, 'cached'), 200);
    assert.deepEqual(await probe(auth, '/readyz'), READY);

    await started.vault.stop();
    assert.equal(await token(auth, 'fresh'), 503);
    clock.advance(100_000);
    assert.deepEqual(await probe(auth, '/readyz'), [
      200,
      'no-store',
      {
        status: 'ready',
        checks: { signing_key: 'ok', storage: `degraded: Vault unavailable for 100 s (${LOST}); cached users are served for 200 s more (cache.stale)` },
      },
    ]);
    assert.equal(await vaultUp(auth), 0);
    clock.advance(199_999);
    assert.equal((await probe(auth, '/readyz'))[0], 200);
    clock.advance(1);
    assert.deepEqual(
      await probe(auth, '/readyz'),
      notReady(`Vault unavailable for 300 s (${LOST}); longer than the stale window (cache.stale 300 s): cached users are no longer served`),
    );
    assert.deepEqual(await probe(auth, '/healthz'), LIVE);

    vault = await VaultServer.start(peers.paths.vault, { port: started.port });
    await seed(vault);
    assert.equal(await token(auth, 'fresh'), 200);
    assert.deepEqual(await probe(auth, '/readyz'), READY);
    assert.equal(await vaultUp(auth), 1);

    const cache = series(await (await fetch(`${auth.url}/metrics`)).text(), 'vra_user_cache_requests_total');
    // cached: miss; fresh: miss (Vault gone), then miss again (Vault back).
    assert.deepEqual(cache, { '{result="miss"}': 3 });
  });
});
