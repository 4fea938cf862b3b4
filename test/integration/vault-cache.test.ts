/**
 * The user cache in front of a real Vault: one read for many concurrent
 * requests, revocation within the TTL, unknown users cached briefly, and
 * mount versions re-detected after their TTL. Time is a manual clock, so
 * the bounds are checked to the millisecond without sleeping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { requirePeers } from '../helpers/peers.js';
import { claimsOf, getToken, startTestServer, type TestServer } from '../helpers/token-server.js';
import { serverToken, VaultAudit } from '../helpers/vault-audit.js';
import { VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');
const BAD_CREDENTIALS = { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] };

describe('the user cache against a real Vault', { skip: peers.skip }, () => {
  let vault: VaultServer;
  let audit: VaultAudit;
  let token: { token: string; accessor: string };
  let clock: ManualClock;
  let server: TestServer;

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    audit = await VaultAudit.enable(vault);
    await vault.enableKv('registry', 1);
    await vault.putUser('registry', 1, 'alice', 'alice-Secret', 'repository:team/app:pull');
    token = await serverToken(vault);
    clock = new ManualClock();
    server = await startTestServer(
      {
        storage: { vault: { addr: vault.address, auth_token: token.token, timeout: '2s', mount_ttl: '1m' } },
        cache: { ttl: '30s', negative_ttl: '5s' },
        // Throttling off: the floods of one made-up name here are about the cache.
        throttle: { enabled: false },
      },
      { clock },
    );
  });

  after(async () => {
    await server?.close();
    await vault?.stop();
    await audit?.remove();
  });

  const reads = async (path: string): Promise<number> => (await audit.paths(token.accessor)).filter((p) => p === path).length;

  test('50 concurrent requests for one user make one Vault read', async () => {
    await vault.putUser('registry', 1, 'burst', 'burst-Secret', 'repository:team/app:pull');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => getToken(server, 'service=registry&scope=repository:team/app:pull', ['burst', 'burst-Secret'])),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array.from({ length: 50 }, () => 200),
    );
    assert.deepEqual(claimsOf(answers[49]?.body.token).access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal(await reads('registry/burst'), 1);
  });

  test('a deleted user is refused after at most the TTL (30 s), not before', async () => {
    await vault.putUser('registry', 1, 'leaver', 'leaver-Secret', 'repository:team/app:pull');
    assert.equal((await getToken(server, 'service=registry', ['leaver', 'leaver-Secret'])).status, 200);
    await vault.deleteUser('registry', 1, 'leaver');
    clock.advance(29_999);
    assert.equal((await getToken(server, 'service=registry', ['leaver', 'leaver-Secret'])).status, 200);
    clock.advance(1);
    const refused = await getToken(server, 'service=registry', ['leaver', 'leaver-Secret']);
    assert.deepEqual([refused.status, refused.body], [401, BAD_CREDENTIALS]);
  });

  test('a password change takes effect after at most the TTL', async () => {
    await vault.putUser('registry', 1, 'changer', 'old-Secret', 'repository:team/app:pull');
    assert.equal((await getToken(server, 'service=registry', ['changer', 'old-Secret'])).status, 200);
    await vault.putUser('registry', 1, 'changer', 'new-Secret', 'repository:team/app:pull');
    assert.equal((await getToken(server, 'service=registry', ['changer', 'old-Secret'])).status, 200);
    clock.advance(30_000);
    assert.equal((await getToken(server, 'service=registry', ['changer', 'old-Secret'])).status, 401);
    assert.equal((await getToken(server, 'service=registry', ['changer', 'new-Secret'])).status, 200);
  });

  test('an unknown user is cached for the negative TTL: a flood of one made-up name is one read', async () => {
    for (let i = 0; i < 100; i++) assert.equal((await getToken(server, 'service=registry', ['ghost', 'x'])).status, 401);
    assert.equal(await reads('registry/ghost'), 1);
    await vault.putUser('registry', 1, 'ghost', 'ghost-Secret', '');
    clock.advance(5000);
    assert.equal((await getToken(server, 'service=registry', ['ghost', 'ghost-Secret'])).status, 200);
    assert.equal(await reads('registry/ghost'), 2);
  });

  test('a mount re-enabled with another KV version is picked up after mount_ttl, without a restart', async () => {
    await vault.enableKv('moving', 1);
    await vault.putUser('moving', 1, 'bob', 'bob-Secret', 'repository:team/app:pull');
    assert.equal((await getToken(server, 'service=moving', ['bob', 'bob-Secret'])).status, 200);
    assert.equal((await vault.api('DELETE', 'sys/mounts/moving')).status, 204);
    await vault.enableKv('moving', 2);
    await vault.putUser('moving', 2, 'bob', 'bob-Secret', 'repository:team/app:push');
    clock.advance(60_000);
    const answer = await getToken(server, 'service=moving&scope=repository:team/app:push', ['bob', 'bob-Secret']);
    assert.equal(answer.status, 200);
    assert.deepEqual(claimsOf(answer.body.token).access, [{ type: 'repository', name: 'team/app', actions: ['push'] }]);
    assert.ok((await audit.paths(token.accessor)).includes('moving/data/bob'));
  });
});
