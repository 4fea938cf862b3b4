/**
 * Memory under a flood of distinct unknown users: the app in-process (the
 * user file, the user cache in front as with Vault, the throttle on with its
 * defaults, X-Forwarded-For believed from loopback so that each request can
 * come from another address, as from a botnet or an IPv6 prefix), flooded
 * with wrong passwords for made-up names, each address trying five. Prints
 * the heap and RSS before, during and after, and the size of every structure
 * that grows with distinct names, beside its bound.
 *
 *   npm run bench:flood-memory [-- TOTAL [OVER_HTTP [unbounded]]]     (default 200000 5000)
 *
 * `unbounded` counts in the library's own RateLimiterMemory instead, as
 * before the bound, for comparison.
 * Every failed login costs the dummy password hash (about 100 a second on
 * two cores), so only the first OVER_HTTP names go over HTTP through the
 * whole app; the rest are the `token.denied` events the app emits after each
 * such 401, which is where the throttle counts, and the user-cache lookup
 * each request makes: everything a request keeps, without the hash.
 * Run with --expose-gc (the npm script does) so the numbers are after a
 * collection.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import winston from 'winston';
import { parseConfig } from '../src/config/load.js';
import { ServerEvents } from '../src/events.js';
import { createApp } from '../src/http/app.js';
import { clientAddressFrom } from '../src/http/client-address.js';
import { throttleDecisions } from '../src/observers/throttle-decisions.js';
import { PasswordVerifier } from '../src/passwords/verifier.js';
import { keysHeld, MAX_COUNTER_KEYS } from '../src/throttle/bounded-storage.js';
import { type CounterFactory, localCounters } from '../src/throttle/counters.js';
import { LoginThrottle } from '../src/throttle/login-throttle.js';
import { generateKey } from '../src/tokens/generate.js';
import { createSigner } from '../src/tokens/signer.js';
import { signingKeyFromPem } from '../src/tokens/signing-key.js';
import { CachingUserStore } from '../src/users/caching-user-store.js';
import { FileUserStore } from '../src/users/file-user-store.js';
import { systemClock } from '../src/util/clock.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';

const total = Number(process.argv[2] ?? 200_000);
const overHttp = Math.min(total, Number(process.argv[3] ?? 5_000));
const unbounded = process.argv[4] === 'unbounded';
const NAMES_PER_ADDRESS = 5;

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
function memory(label: string): void {
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(`${label.padEnd(34)} heap used ${mb(heapUsed).padStart(9)}   RSS ${mb(rss).padStart(9)}`);
}

// --- the app, wired as src/server.ts wires it (createApp, the throttle's counters and its listener) ---
const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-flood-'));
const usersFile = path.join(dir, 'users.yml');
await writeFile(usersFile, 'registry:\n  alice:\n    password: alice-Secret-1\n    access: repository:a:pull\n');
const config = parseConfig(
  { storage: { file: { path: usersFile } }, token: { issuer: 'bench', expiration: 300, certificate: 'x', key: 'x' }, http: { trusted_proxies: ['loopback'] } },
  dir,
);
const { keyPem, certificatePem } = await generateKey({ commonName: 'bench' });
const events = new ServerEvents();
const made = new Map<string, unknown>();
const counting: CounterFactory = (options) => {
  const counter = unbounded
    ? new RateLimiterMemory({ keyPrefix: options.name, points: options.points, duration: options.durationSeconds })
    : localCounters()(options);
  made.set(options.name.replace(/^vra-throttle-(\w+).*$/u, '$1'), counter);
  return counter;
};
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
const throttle = new LoginThrottle(
  {
    failures: config.throttle.failures,
    windowSeconds: seconds(config.throttle.windowMs),
    blockSeconds: seconds(config.throttle.blockMs),
    maxBlockSeconds: seconds(config.throttle.maxBlockMs),
  },
  counting,
);
throttleDecisions(events, throttle);
const users = new CachingUserStore(new FileUserStore(usersFile), config.cache, systemClock, events);
const verifier = await PasswordVerifier.create({
  dummyAlgorithm: config.passwords.hash,
  rememberMs: config.cache.ttlMs,
  maxRemembered: config.cache.maxEntries,
  clock: systemClock,
  onPlaintext: () => {},
});
const app = createApp({
  config,
  users,
  verifier,
  signer: createSigner(signingKeyFromPem(keyPem, certificatePem, 'thumbprint'), { x5c: false }),
  logger: winston.createLogger({ level: 'error', silent: true }),
  events,
  clientAddress: clientAddressFrom(config.http.trustedProxies ?? []),
  throttle,
});
const server = http.createServer(app.callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function structures(): void {
  const held = (counter: unknown): number | null =>
    keysHeld(counter) ?? (counter as { _memoryStorage?: { _storage?: Map<string, unknown> } })._memoryStorage?._storage?.size ?? null;
  const counters = [...made].map(([name, counter]) => `${name} ${held(counter)}`).join(', ');
  const pairs = (throttle as unknown as { pairsWithFailures: { size: number } }).pairsWithFailures.size;
  const bound = unbounded ? "the library's store, unbounded" : `bound ${MAX_COUNTER_KEYS} each`;
  console.log(`  throttle keys (${bound}): ${counters}; pairs to reset on success ${pairs} (bound 10000)`);
  console.log(
    `  user cache: ${users.size - users.absentSize} users, ${users.absentSize} names not found (bound ${config.cache.maxEntries} each); ` +
      `password checks running ${verifier.running}, remembered ${verifier.remembered}`,
  );
}

const address = (i: number): string => `2001:db8::${Math.floor(i / NAMES_PER_ADDRESS).toString(16)}`;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const checkpoints = new Set(Array.from({ length: 4 }, (_, k) => Math.floor((total * (k + 1)) / 5)));

console.log(
  `flood of ${total.toLocaleString('en')} distinct unknown users (${overHttp.toLocaleString('en')} over HTTP), ${NAMES_PER_ADDRESS} per address` +
    (unbounded ? ", the library's unbounded counters" : ''),
);
memory('before');
structures();

// --- over HTTP: the whole request, the dummy hash included ---
const pool = new Pool(url, { connections: 32 });
const statuses = new Map<number, number>();
let next = 0;
const started = Date.now();
async function client(): Promise<void> {
  for (let i = next++; i < overHttp; i = next++) {
    const response = await pool.request({
      path: '/auth?service=registry&scope=repository:a:pull',
      method: 'GET',
      headers: { authorization: basic(`nobody-${i}`, 'wrong'), 'x-forwarded-for': address(i) },
    });
    await response.body.dump();
    statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    if (checkpoints.has(i + 1)) {
      memory(`after ${(i + 1).toLocaleString('en')}`);
      structures();
    }
  }
}
await Promise.all(Array.from({ length: 32 }, client));
const httpSeconds = (Date.now() - started) / 1000;
console.log(
  `  over HTTP: ${overHttp} requests in ${httpSeconds.toFixed(0)} s (${(overHttp / httpSeconds).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
);
await pool.close();

// --- the rest: what each such request leaves behind, without the hash ---
for (let i = overHttp; i < total; i += 1) {
  const account = `nobody-${i}`;
  await users.lookup('registry', account);
  events.emit('token.denied', {
    requestId: String(i),
    client: address(i),
    method: 'GET',
    service: 'registry',
    account,
    grant: 'password',
    requested: ['repository:a:pull'],
    granted: [],
    durationMs: 1,
    reason: 'UNAUTHORIZED',
    status: 401,
  });
  if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  if (checkpoints.has(i + 1)) {
    memory(`after ${(i + 1).toLocaleString('en')}`);
    structures();
  }
}
await new Promise((resolve) => setImmediate(resolve));
memory(`after all ${total.toLocaleString('en')}`);
structures();

await new Promise<void>((resolve) => server.close(() => resolve()));
await users.close();
await rm(dir, { recursive: true, force: true });
console.log(
  `(${gc ? 'after a collection' : 'run with --expose-gc for exact numbers'}; ${os.availableParallelism()} cores, load ${os.loadavg()[0]?.toFixed(1)})`,
);
