/**
 * The memory of successful directory and CI logins (src/logins/login-memory.ts):
 * a success is remembered for the TTL (or until the credential's own expiry,
 * if sooner), a failure never; identical logins running at once share one;
 * the number of entries is bounded. Time is a ManualClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginMemory } from '../../src/logins/login-memory.js';
import { ManualClock } from '../helpers/clock.js';

interface Rights {
  readonly n: number;
}

/** A login that counts its runs and answers what `answer` says (a success numbered by run by default). */
function counter(answer: (n: number) => { value: Rights; expiresAt?: number } | null = (n) => ({ value: { n } })) {
  const login = {
    runs: 0,
    run: async () => {
      login.runs += 1;
      return answer(login.runs);
    },
  };
  return login;
}

/** A promise settled from outside: a login that is still running. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

test('a success is remembered for the TTL, then the login runs again', async () => {
  const clock = new ManualClock();
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock });
  const login = counter();
  assert.deepEqual(await memory.remember(['registry', 'vault_jwt jwt', 'ci', 'jwt-1'], login.run), { n: 1 });
  clock.advance(29_999);
  assert.deepEqual(await memory.remember(['registry', 'vault_jwt jwt', 'ci', 'jwt-1'], login.run), { n: 1 });
  assert.equal(login.runs, 1);
  clock.advance(1);
  assert.deepEqual(await memory.remember(['registry', 'vault_jwt jwt', 'ci', 'jwt-1'], login.run), { n: 2 });
  assert.equal(login.runs, 2);
});

test('another password, name, way or service is another login', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock: new ManualClock() });
  const login = counter();
  const base = ['registry', 'vault_auth ldap', 'alice', 'pw'];
  await memory.remember(base, login.run);
  for (const index of [0, 1, 2, 3]) {
    const parts = [...base];
    parts[index] = `${parts[index]}x`;
    await memory.remember(parts, login.run);
  }
  assert.equal(login.runs, 5);
  assert.equal(memory.size, 5);
});

test('a failure is never remembered', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock: new ManualClock() });
  const login = counter(() => null);
  assert.equal(await memory.remember(['registry', 'ldap', 'alice', 'wrong'], login.run), null);
  assert.equal(await memory.remember(['registry', 'ldap', 'alice', 'wrong'], login.run), null);
  assert.equal(login.runs, 2);
  assert.equal(memory.size, 0);
});

test('an error (Vault unavailable) reaches the caller and is not remembered', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock: new ManualClock() });
  let runs = 0;
  const failing = async (): Promise<{ value: Rights } | null> => {
    runs += 1;
    throw new Error('Vault is unavailable');
  };
  await assert.rejects(memory.remember(['s', 'w', 'a', 'p'], failing), /Vault is unavailable/);
  await assert.rejects(memory.remember(['s', 'w', 'a', 'p'], failing), /Vault is unavailable/);
  assert.equal(runs, 2);
  const login = counter();
  assert.deepEqual(await memory.remember(['s', 'w', 'a', 'p'], login.run), { n: 1 });
});

test('identical logins arriving while one runs share it: one run, one answer for all', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock: new ManualClock() });
  const gate = deferred<{ value: Rights } | null>();
  let runs = 0;
  const run = () => {
    runs += 1;
    return gate.promise;
  };
  const all = Array.from({ length: 50 }, () => memory.remember(['registry', 'vault_jwt jwt', 'registry-ci', 'jwt'], run));
  gate.resolve({ value: { n: 7 } });
  const answers = await Promise.all(all);
  assert.equal(runs, 1);
  assert.deepEqual(new Set(answers.map((answer) => answer?.n)), new Set([7]));
});

test('a shared running failure fails every waiter, and the next attempt runs again', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock: new ManualClock() });
  const gate = deferred<{ value: Rights } | null>();
  let runs = 0;
  const run = () => {
    runs += 1;
    return gate.promise;
  };
  const both = [memory.remember(['k'], run), memory.remember(['k'], run)];
  gate.resolve(null);
  assert.deepEqual(await Promise.all(both), [null, null]);
  assert.equal(runs, 1);
  const again = counter();
  assert.deepEqual(await memory.remember(['k'], again.run), { n: 1 });
});

test('a credential that expires before the TTL is forgotten at its expiry', async () => {
  const clock = new ManualClock();
  const memory = new LoginMemory<Rights>({ ttlMs: 600_000, max: 10, clock });
  const login = counter((n) => ({ value: { n }, expiresAt: clock.now() + 120_000 }));
  await memory.remember(['ci-jwt'], login.run);
  clock.advance(119_999);
  await memory.remember(['ci-jwt'], login.run);
  assert.equal(login.runs, 1);
  clock.advance(1);
  await memory.remember(['ci-jwt'], login.run);
  assert.equal(login.runs, 2);
});

test('an expiry later than the TTL changes nothing: the TTL still ends it', async () => {
  const clock = new ManualClock();
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock });
  const login = counter((n) => ({ value: { n }, expiresAt: clock.now() + 3_600_000 }));
  await memory.remember(['ci-jwt'], login.run);
  clock.advance(30_000);
  await memory.remember(['ci-jwt'], login.run);
  assert.equal(login.runs, 2);
});

test('a credential already expired is answered but not remembered', async () => {
  const clock = new ManualClock();
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 10, clock });
  const login = counter((n) => ({ value: { n }, expiresAt: clock.now() - 1 }));
  assert.deepEqual(await memory.remember(['old'], login.run), { n: 1 });
  assert.equal(memory.size, 0);
  assert.deepEqual(await memory.remember(['old'], login.run), { n: 2 });
});

test('at most `max` logins are remembered, the least recently used forgotten first', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 30_000, max: 2, clock: new ManualClock() });
  const login = counter();
  await memory.remember(['a'], login.run); // run 1
  await memory.remember(['b'], login.run); // run 2
  await memory.remember(['a'], login.run); // remembered; a is now the most recent
  await memory.remember(['c'], login.run); // run 3, evicts b
  assert.equal(memory.size, 2);
  assert.equal(login.runs, 3);
  assert.deepEqual(await memory.remember(['a'], login.run), { n: 1 });
  assert.deepEqual(await memory.remember(['c'], login.run), { n: 3 });
  assert.deepEqual(await memory.remember(['b'], login.run), { n: 4 });
  assert.equal(login.runs, 4);
});

test('TTL 0 remembers nothing, yet logins running at once are still shared', async () => {
  const memory = new LoginMemory<Rights>({ ttlMs: 0, max: 10, clock: new ManualClock() });
  const login = counter();
  await memory.remember(['a'], login.run);
  await memory.remember(['a'], login.run);
  assert.equal(login.runs, 2);
  assert.equal(memory.size, 0);

  const gate = deferred<{ value: Rights } | null>();
  let runs = 0;
  const run = () => {
    runs += 1;
    return gate.promise;
  };
  const both = [memory.remember(['b'], run), memory.remember(['b'], run)];
  gate.resolve({ value: { n: 9 } });
  assert.deepEqual(await Promise.all(both), [{ n: 9 }, { n: 9 }]);
  assert.equal(runs, 1);
  assert.equal(memory.size, 0);
});
