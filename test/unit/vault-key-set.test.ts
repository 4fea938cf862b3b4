/**
 * The Vault key set's decisions, with a scripted `read` (the real Vault is
 * in test/integration/keys-vault.test.ts): the first read must succeed; a
 * later failure keeps the keys and is logged once; a change is picked up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unavailable } from '../../src/errors.js';
import type { VaultRead } from '../../src/vault/client.js';
import { openVaultKeySet } from '../../src/tokens/vault-key-set.js';
import { makeKey, type TestKey } from '../helpers/keys.js';

type Answer = VaultRead | Error;

function scripted(first: Answer) {
  let answer = first;
  let reads = 0;
  const logged: string[] = [];
  const log = (level: string) => (message: string) => {
    logged.push(`${level}: ${message}`);
  };
  return {
    vault: {
      async read(): Promise<VaultRead> {
        reads += 1;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    logger: { info: log('info'), warn: log('warn'), error: log('error') } as never,
    set: (next: Answer) => {
      answer = next;
    },
    reads: () => reads,
    logged,
  };
}

const v2 = (data: Record<string, unknown>): VaultRead => ({ kind: 'found', body: { data: { data, metadata: { version: 1 } } } });
const v1 = (data: Record<string, unknown>): VaultRead => ({ kind: 'found', body: { data } });
const secret = (active: TestKey, ...published: TestKey[]) => ({
  key: active.keyPem,
  certificate: active.certificatePem,
  ...(published.length > 0 ? { published: published.map((key) => key.certificatePem).join('') } : {}),
});
const PATH = 'secret/data/registry-token';
const options = (script: ReturnType<typeof scripted>) => ({
  vault: script.vault,
  path: PATH,
  reloadMs: 3_600_000,
  kidFormat: 'thumbprint' as const,
  logger: script.logger,
});

test('start-up fails, naming token.vault_path, when the first read gives no key set', async () => {
  const key = await makeKey('p256');
  const cases: [Answer, string][] = [
    [{ kind: 'missing', status: 404 }, 'no secret there (status 404): write one with the fields key and certificate (PEM), and optionally published'],
    [{ kind: 'denied' }, `permission denied: the Vault token's policy must allow "read" on ${PATH}`],
    [unavailable('Vault is sealed or unavailable'), 'Vault cannot be read: Vault is sealed or unavailable'],
    [v2({ certificate: key.certificatePem }), 'the field key (the active PEM private key) is missing'],
    [v2({ key: key.keyPem }), 'the field certificate (the PEM certificate of key) is missing'],
    [v2({ key: 42, certificate: key.certificatePem }), 'the field key must be PEM text'],
    [v2({ key: 'junk', certificate: key.certificatePem }), 'the fields key and certificate: not a usable PEM private key'],
    [v2({ ...secret(key), published: 'junk' }), 'the field published: no PEM certificate found'],
  ];
  for (const [answer, reason] of cases) {
    const script = scripted(answer);
    await assert.rejects(openVaultKeySet(options(script)), (error: Error) => {
      assert.equal(error.name, 'VaultKeySetError');
      assert.ok(error.message.startsWith(`token.vault_path (${PATH}): ${reason}`), error.message);
      return true;
    });
  }
});

test('KV v1 and v2 secrets alike; published keys after the active one', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('rsa')]);
  for (const shape of [v1, v2]) {
    const keys = await openVaultKeySet(options(scripted(shape(secret(a, b)))));
    keys.close();
    assert.deepEqual(
      keys.verifiers().map((key) => key.alg),
      ['ES256', 'RS256'],
    );
    assert.equal(keys.active().alg, 'ES256');
  }
});

test('a reload picks up a rotation; any failure keeps the keys and is logged once until fixed', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('p256')]);
  const script = scripted(v2(secret(a)));
  const keys = await openVaultKeySet(options(script));
  const kidA = keys.active().kid;

  script.set(v2(secret(b, a)));
  await keys.reload();
  const kidB = keys.active().kid;
  assert.notEqual(kidB, kidA);
  assert.deepEqual(
    keys.verifiers().map((key) => key.kid),
    [kidB, kidA],
  );
  assert.deepEqual(script.logged, [`info: signing keys reloaded from Vault`]);

  for (const failure of [unavailable('Vault is sealed or unavailable'), { kind: 'denied' } as const, v2({ key: 'junk', certificate: 'junk' })]) {
    script.set(failure);
    await keys.reload();
    await keys.reload();
    assert.equal(keys.active().kid, kidB);
  }
  // One line per problem, not per reload; Vault being down is a warning, a broken secret an error.
  const keeping = '; keeping the signing keys loaded before';
  assert.equal(script.logged.length, 4);
  assert.equal(script.logged[1], `warn: token.vault_path (${PATH}): Vault cannot be read: Vault is sealed or unavailable${keeping}`);
  assert.equal(script.logged[2], `error: token.vault_path (${PATH}): permission denied: the Vault token's policy must allow "read" on ${PATH}${keeping}`);
  assert.match(
    script.logged[3] ?? '',
    /^error: token\.vault_path \(secret\/data\/registry-token\): the fields key and certificate: not a usable PEM private key/u,
  );
  assert.ok(
    script.logged.every((line) => !line.includes('PRIVATE KEY')),
    'no key material in the log',
  );

  script.set(v2(secret(b, a)));
  await keys.reload();
  assert.equal(script.logged.at(-1), 'info: the signing keys in Vault can be read again');
  assert.equal(keys.active().kid, kidB);
  keys.close();
});

test('concurrent reloads share one read', async () => {
  const key = await makeKey('p256');
  const script = scripted(v2(secret(key)));
  const keys = await openVaultKeySet(options(script));
  await Promise.all([keys.reload(), keys.reload(), keys.reload()]);
  assert.equal(script.reads(), 2);
  keys.close();
});

test('the timer reads again every reload interval', async () => {
  const [a, b] = await Promise.all([makeKey('p256'), makeKey('p256')]);
  const script = scripted(v2(secret(a)));
  const keys = await openVaultKeySet({ ...options(script), reloadMs: 20 });
  const kidA = keys.active().kid;
  script.set(v2(secret(b)));
  const deadline = Date.now() + 5_000;
  while (keys.active().kid === kidA && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  keys.close();
  assert.notEqual(keys.active().kid, kidA);
});
