/**
 * `npm run bench`: the token server under load, end to end, as it runs in
 * production. A real Vault dev server (its own process) holds the users; the
 * server runs from the production build (`node dist/src/cli.js serve`, its
 * own process, log level warn, the user cache on, a services list); the load
 * comes from autocannon in a third process (bench/load-worker.ts).
 *
 *   npm run bench                 # the full run (a few minutes)
 *   npm run bench:quick           # a few seconds per scenario, fewer users
 *   npm run bench -- --compare http://127.0.0.1:5002 --compare-user foo \
 *     --compare-password bar --compare-service registry
 *
 * Prints a table, and writes bench/results/<date>.json and .svg (gitignored).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import yaml from 'js-yaml';
import { hashPassword } from '../src/passwords/hash.js';
import { CLI } from '../test/helpers/cli.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { findPeer } from '../test/helpers/peers.js';
import { startDaemon, type Daemon } from '../test/helpers/process.js';
import { ROOT_TOKEN, VaultServer } from '../test/helpers/vault-server.js';
import { renderChart } from './chart.js';
import { type Job, type LoadOutput, type TimingOutput, type UserSpec, userAt } from './load-spec.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, 'load-worker.js');
const BARE = path.join(here, 'bare-server.js');
/** bench/results in the source tree, from dist/bench/run.js. */
const RESULTS = path.resolve(here, '..', '..', 'bench', 'results');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    compare: { type: 'string' },
    'compare-user': { type: 'string' },
    'compare-password': { type: 'string' },
    'compare-service': { type: 'string', default: 'registry' },
  },
});
const quick = flags.quick === true;
const settings = quick
  ? { seconds: 3, warmupSeconds: 1, manyUsers: 1_000, timingPairs: 100, connections: 64 }
  : { seconds: 15, warmupSeconds: 3, manyUsers: 10_000, timingPairs: 2_000, connections: 64 };
const MANY_BCRYPT_COST = 4;
const HOT_USERS = 100;
const SERVICE = 'registry';
const GODOAUTH = 'godoauth';
const ACCESS = 'repository:${account}/*:*;repository:team/**:pull;registry:catalog:*';
const HOT_SCOPES = ['repository:{user}/app:pull,push'];
const WIDE_SCOPES = [
  'repository:{user}/app:pull,push',
  'repository:team/app:pull',
  'repository:team/lib/base:pull',
  'repository:other/secret:pull',
  'registry:catalog:*',
];
const hotUsers: UserSpec = { prefix: 'hot-', passwordPrefix: 'hot-password-', pad: 3, count: HOT_USERS };
/** The argon2id half of the hot users (even indexes): a wrong password then costs what the argon2id dummy hash costs. */
const argonUsers: UserSpec = { prefix: 'hot-', passwordPrefix: 'hot-password-', pad: 3, count: HOT_USERS / 2, stride: 2 };
const manyUsers: UserSpec = { prefix: 'many-', passwordPrefix: 'many-password-', pad: 5, count: settings.manyUsers };
/** Users asked once each in the first-probe timing run: argon2id, never in any cache before. */
const probeUsers: UserSpec = { prefix: 'probe-', passwordPrefix: 'probe-password-', pad: 5, count: settings.timingPairs };
/** Names that do not exist, asked again and again in the repeated timing run (as many as the argon2id users). */
const ghostUsers: UserSpec = { prefix: 'ghost-', passwordPrefix: 'ghost-password-', pad: 3, count: HOT_USERS / 2 };
/** The cache TTL of the many-users server: long enough that every pass over all the users falls inside it. */
const MANY_USERS_TTL_SECONDS = 300;

// ---------------------------------------------------------------- cleanup

const cleanups: Array<() => Promise<void>> = [];
const workers = new Set<ChildProcess>();
let stopping: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping everything the bench started…\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- /proc

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The server and its worker processes (http.workers forks one per core):
 * the pid and, recursively, the children the kernel lists for it.
 */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/u).filter(Boolean).map(Number);
  } catch {
    // gone, or no children file
  }
  return [pid, ...children.flatMap(processTree)];
}

/** utime + stime of all threads of the server and its workers, in seconds. */
function cpuSeconds(pid: number): number {
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${one}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      // a worker that just exited
    }
  }
  return total;
}

/** The largest RSS and peak RSS of one process of the server (the target is per process). */
function memoryMb(pid: number): { rss: number; hwm: number } {
  let rss = Number.NaN;
  let hwm = Number.NaN;
  for (const one of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${one}/status`, 'utf8');
      const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'mu').exec(status)?.[1] ?? Number.NaN);
      rss = Math.max(Number.isNaN(rss) ? 0 : rss, kb('VmRSS') / 1024);
      hwm = Math.max(Number.isNaN(hwm) ? 0 : hwm, kb('VmHWM') / 1024);
    } catch {
      // a worker that just exited
    }
  }
  return { rss, hwm };
}

// ---------------------------------------------------------------- processes

interface Target {
  readonly name: string;
  readonly url: string;
  /** The server's pid, for CPU and memory; null for a server we did not start. */
  readonly pid: number | null;
  stop(): Promise<void>;
}

async function startOurServer(name: string, dir: string, config: Record<string, unknown>): Promise<Target> {
  const port = await freePort();
  const keys = path.join(dir, `${name}-keys`);
  await mkdir(keys, { recursive: true });
  const full = {
    version: 0.1,
    log: { level: 'warn' },
    ...config,
    http: { addr: `127.0.0.1:${port}`, timeout: '5s', realm: ['/auth', '/auth/token'] },
    token: { issuer: 'vault-registry-auth', expiration: 300, certificate: path.join(keys, 'token.pem'), key: path.join(keys, 'token.key'), generate: true },
  };
  const file = path.join(dir, `${name}.yml`);
  await writeFile(file, yaml.dump(full));
  const daemon = startDaemon(process.execPath, [CLI, 'serve', '--config', file]);
  const url = `http://127.0.0.1:${port}`;
  const target = track(name, url, daemon);
  try {
    await waitFor(
      name,
      async () => {
        if (daemon.child.exitCode !== null) throw new Error(`exited with ${daemon.child.exitCode}`);
        return (await fetch(`${url}/jwks`)).ok;
      },
      30_000,
    );
  } catch (error) {
    await target.stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\n${daemon.output()}`);
  }
  return target;
}

async function startBareServer(): Promise<Target> {
  const port = await freePort();
  const daemon = startDaemon(process.execPath, [BARE, String(port)]);
  const url = `http://127.0.0.1:${port}`;
  const target = track('bare', url, daemon);
  try {
    await waitFor('bare server', async () => daemon.output().includes('"listening"'), 15_000);
  } catch (error) {
    await target.stop();
    throw new Error(`${(error as Error).message}\n${daemon.output()}`);
  }
  return target;
}

function track(name: string, url: string, daemon: Daemon): Target {
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await daemon.stop();
  };
  cleanups.push(stop);
  return { name, url, pid: daemon.child.pid ?? null, stop };
}

// ---------------------------------------------------------------- load

interface Measured<T> {
  readonly output: T;
  readonly cpuCores: number;
  readonly peakRssMb: number;
  readonly hwmMb: number;
  readonly wallSeconds: number;
}

function progress(text: string): void {
  process.stderr.write(`\r${text.padEnd(100).slice(0, 110)}`);
}

/** Runs one job in a load-worker process while sampling the server's CPU and memory. */
async function drive<T>(label: string, target: Target, job: Job, boundSeconds: number): Promise<Measured<T>> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  workers.add(child);
  let stdout = '';
  let stderrText = '';
  let started = 0;
  let cpuStart = 0;
  let peakRss = 0;
  let done = 0;
  const sample = (): void => {
    if (target.pid === null) return;
    const { rss } = memoryMb(target.pid);
    if (rss > peakRss) peakRss = rss;
  };
  const sampler = setInterval(() => {
    sample();
    if (started) {
      const elapsed = (performance.now() - started) / 1000;
      const cores = target.pid === null ? Number.NaN : (cpuSeconds(target.pid) - cpuStart) / elapsed;
      progress(`[${label}] ${elapsed.toFixed(1)} s, ${done.toLocaleString('en-US')} requests, server ${cores.toFixed(2)} cores, ${peakRss.toFixed(0)} MB`);
    }
  }, 100);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderrText = (stderrText + chunk.toString('utf8')).slice(-20_000);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === 'START' && !started) {
        started = performance.now();
        cpuStart = target.pid === null ? Number.NaN : cpuSeconds(target.pid);
      } else if (line.startsWith('P ')) done = Number(line.slice(2));
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), boundSeconds * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  const ended = performance.now();
  const cpuEnd = target.pid === null ? Number.NaN : cpuSeconds(target.pid);
  clearTimeout(killer);
  clearInterval(sampler);
  workers.delete(child);
  sample();
  if (code !== 0) throw new Error(`[${label}] the load worker failed (exit ${code}):\n${stderrText}`);
  const wallSeconds = (ended - (started || ended)) / 1000;
  return {
    output: JSON.parse(stdout) as T,
    cpuCores: wallSeconds > 0 ? (cpuEnd - cpuStart) / wallSeconds : Number.NaN,
    peakRssMb: target.pid === null ? Number.NaN : peakRss,
    hwmMb: target.pid === null ? Number.NaN : memoryMb(target.pid).hwm,
    wallSeconds,
  };
}

interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly server: string;
  readonly users: number;
  readonly scopesPerRequest: number;
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  readonly ok: number;
  readonly tokensPerSecond: number;
  readonly latencyMs: LoadOutput['latencyMs'];
  /** Non-2xx answers + socket errors + timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  readonly serverCpuCores: number;
  readonly serverPeakRssMb: number;
  readonly serverVmHwmMb: number;
}

async function load(
  scenario: string,
  description: string,
  target: Target,
  options: { service: string; users: UserSpec; scopes: readonly string[]; seconds?: number; amount?: number; warmupSeconds?: number },
): Promise<ScenarioResult> {
  const base = {
    mode: 'load' as const,
    url: target.url,
    service: options.service,
    users: options.users,
    scopes: options.scopes,
    connections: settings.connections,
  };
  if (options.warmupSeconds) {
    // Every user in every worker (each has its own cache and remembered
    // passwords: a keep-alive connection stays with one worker, so several
    // passes are needed to reach each pair), then a timed warm-up for the JIT.
    const count = 'user' in options.users ? 1 : options.users.count;
    await drive<LoadOutput>(`${scenario} warm-up`, target, { ...base, amount: count * 8 }, 300);
    await drive<LoadOutput>(`${scenario} warm-up`, target, { ...base, durationSeconds: options.warmupSeconds }, options.warmupSeconds + 60);
  }
  const job = options.amount !== undefined ? { ...base, amount: options.amount } : { ...base, durationSeconds: options.seconds ?? settings.seconds };
  const measured = await drive<LoadOutput>(scenario, target, job, options.amount !== undefined ? 900 : (options.seconds ?? settings.seconds) + 60);
  const out = measured.output;
  const result: ScenarioResult = {
    scenario,
    description,
    server: target.name,
    users: 'user' in options.users ? 1 : options.users.count,
    scopesPerRequest: options.scopes.length,
    connections: settings.connections,
    seconds: out.durationSeconds,
    requests: out.requests,
    ok: out.ok,
    tokensPerSecond: out.ok / out.durationSeconds,
    latencyMs: out.latencyMs,
    errors: out.non2xx + out.errors + out.timeouts,
    non2xx: out.non2xx,
    serverCpuCores: measured.cpuCores,
    serverPeakRssMb: measured.peakRssMb,
    serverVmHwmMb: measured.hwmMb,
  };
  progress(`[${scenario}] ${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s, p99 ${result.latencyMs.p99} ms`);
  process.stderr.write('\n');
  return result;
}

// ---------------------------------------------------------------- users

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>, label: string): Promise<void> {
  let next = 0;
  let finished = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
      finished++;
      if (finished % 250 === 0) progress(`[load users] ${label}: ${finished.toLocaleString('en-US')}/${items.length.toLocaleString('en-US')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
}

async function loadUsers(vault: VaultServer, dir: string): Promise<{ fileStore: string }> {
  await vault.enableKv(SERVICE, 2);
  await vault.enableKv(GODOAUTH, 1);
  const put = async (apiPath: string, body: unknown): Promise<void> => {
    const { status, body: answer } = await vault.api('POST', apiPath, body);
    if (status !== 200 && status !== 204) throw new Error(`writing ${apiPath}: ${status} ${JSON.stringify(answer)}`);
  };
  const fileUsers: Record<string, { password: string; access: string }> = {};
  const hot = Array.from({ length: HOT_USERS }, (_, i) => userAt(hotUsers, i));
  await pool(
    hot,
    4,
    async ({ user, password }, i) => {
      // Half argon2id (the library's defaults, as the CLI stores them), half bcrypt cost 10.
      const hash = await hashPassword(password, i % 2 === 0 ? 'argon2id' : 'bcrypt');
      fileUsers[user] = { password: hash, access: ACCESS };
      await put(`${SERVICE}/data/${user}`, { data: { password: hash, access: ACCESS } });
      await put(`${GODOAUTH}/${user}`, { password, access: ACCESS });
    },
    'hot users',
  );
  const many = Array.from({ length: settings.manyUsers }, (_, i) => userAt(manyUsers, i));
  await pool(
    many,
    16,
    async ({ user, password }) => {
      await put(`${SERVICE}/data/${user}`, { data: { password: await bcryptHash(password, MANY_BCRYPT_COST), access: ACCESS } });
    },
    'many users',
  );
  // One argon2id hash (the library's defaults, as the dummy hash of unknown
  // users) for all of them: hashing thousands would take minutes.
  const probeHash = await hashPassword('probe-password', 'argon2id');
  const probes = Array.from({ length: settings.timingPairs }, (_, i) => userAt(probeUsers, i));
  await pool(
    probes,
    16,
    async ({ user }) => {
      await put(`${SERVICE}/data/${user}`, { data: { password: probeHash, access: ACCESS } });
    },
    'probe users',
  );
  const fileStore = path.join(dir, 'users.yml');
  await writeFile(fileStore, yaml.dump({ [SERVICE]: fileUsers }), { mode: 0o600 });
  progress(`[load users] ${HOT_USERS} hot users (argon2id/bcrypt 10), ${settings.manyUsers.toLocaleString('en-US')} users (bcrypt ${MANY_BCRYPT_COST}) loaded`);
  process.stderr.write('\n');
  return { fileStore };
}

// ---------------------------------------------------------------- report

const num = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

function table(rows: readonly ScenarioResult[]): string {
  const header = ['scenario', 'tokens/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'requests', 'cpu cores', 'peak RSS MB'];
  const lines = rows.map((row) => [
    row.scenario,
    num(row.tokensPerSecond),
    num(row.latencyMs.p50),
    num(row.latencyMs.p90),
    num(row.latencyMs.p99),
    num(row.latencyMs.max),
    num(row.errors),
    num(row.requests),
    num(row.serverCpuCores, 2),
    num(row.serverPeakRssMb),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: readonly string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

interface TargetCheck {
  readonly target: string;
  readonly met: boolean | null;
  readonly value: string;
}

interface TimingRuns {
  readonly firstProbe: TimingResult;
  readonly repeated: TimingResult;
}

function checkTargets(rows: readonly ScenarioResult[], timing: TimingRuns | null, peakRssMb: number): TargetCheck[] {
  const find = (name: string): ScenarioResult | undefined => rows.find((row) => row.scenario === name);
  const checks: TargetCheck[] = [];
  const hot = find('hot');
  const limit = find('limit');
  const hotFile = find('hot-file');
  const later = find('many-users later');
  const godoauth = find('godoauth-style');
  const ratio = (a?: ScenarioResult, b?: ScenarioResult): number => (a && b ? a.tokensPerSecond / b.tokensPerSecond : Number.NaN);
  const add = (target: string, value: number, met: (value: number) => boolean, shown: string): void => {
    checks.push({ target, met: Number.isFinite(value) ? met(value) : null, value: Number.isFinite(value) ? shown : 'not measured' });
  };
  const r1 = ratio(hot, limit);
  add('hot ≥ 1.0× the bare handler', r1, (v) => v >= 1, `${r1.toFixed(2)}×`);
  const p99 = hot?.latencyMs.p99 ?? Number.NaN;
  add('p99 ≤ 15 ms at 64 connections (hot)', p99, (v) => v <= 15, `${p99} ms`);
  const r2 = ratio(hot, hotFile);
  add(
    'Vault-hot within 10% of file-store hot',
    r2,
    (v) => v >= 0.9,
    `${r2.toFixed(2)}× (${num(hot?.tokensPerSecond ?? Number.NaN)} vs ${num(hotFile?.tokensPerSecond ?? Number.NaN)})`,
  );
  const r3 = ratio(later, hot);
  add('many-users later pass within 20% of hot', r3, (v) => v >= 0.8, `${r3.toFixed(2)}× (${num(later?.tokensPerSecond ?? Number.NaN)} tokens/s)`);
  const g = godoauth?.tokensPerSecond ?? Number.NaN;
  add('Godoauth-style ≥ 2,500 tokens/s', g, (v) => v >= 2500, `${num(g)} tokens/s`);
  // Both cache states must hold: the ratio furthest from 1 decides.
  const ratios = timing ? [timing.firstProbe.ratio, timing.repeated.ratio] : [];
  const worst = ratios.length ? ratios.reduce((a, b) => (Math.abs(b - 1) > Math.abs(a - 1) ? b : a)) : Number.NaN;
  add(
    'timing: medians within 3% (first probe and repeated)',
    worst,
    (v) => Math.abs(v - 1) <= 0.03,
    `unknown ÷ wrong password = ${ratios.map((r) => r.toFixed(3)).join(' (first probe), ')} (repeated)`,
  );
  add('peak RSS ≤ 200 MB', peakRssMb, (v) => v <= 200, `${num(peakRssMb)} MB`);
  return checks;
}

interface TimingResult extends TimingOutput {
  readonly ratio: number;
  readonly serverCpuCores: number;
}

/** Unknown users and wrong passwords, alternated on one connection, each request timed. */
async function timingRun(label: string, target: Target, users: { known: UserSpec; unknown?: UserSpec }): Promise<TimingResult> {
  const run = await drive<TimingOutput>(
    label,
    target,
    { mode: 'timing', url: target.url, service: SERVICE, ...users, pairs: settings.timingPairs, scope: HOT_SCOPES[0]! },
    settings.timingPairs * 2 + 120,
  );
  process.stderr.write('\n');
  return { ...run.output, ratio: run.output.unknownUser.medianMs / run.output.wrongPassword.medianMs, serverCpuCores: run.cpuCores };
}

function describeTiming(label: string, t: TimingResult): string {
  return (
    `${label} (${t.unknownUser.count} unknown-user and ${t.wrongPassword.count} wrong-password requests, alternated, one connection):\n` +
    `  unknown user:   median ${t.unknownUser.medianMs.toFixed(2)} ms, p90 ${t.unknownUser.p90Ms.toFixed(2)} ms (statuses ${JSON.stringify(t.unknownUser.statuses)})\n` +
    `  wrong password: median ${t.wrongPassword.medianMs.toFixed(2)} ms, p90 ${t.wrongPassword.p90Ms.toFixed(2)} ms (statuses ${JSON.stringify(t.wrongPassword.statuses)})\n` +
    `  ratio unknown ÷ wrong: median ${t.ratio.toFixed(3)}, p90 ${(t.unknownUser.p90Ms / t.wrongPassword.p90Ms).toFixed(3)}`
  );
}

// ---------------------------------------------------------------- main

async function compareMode(dir: string, vault: VaultServer, url: string): Promise<void> {
  const user = flags['compare-user'];
  const password = flags['compare-password'];
  if (!user || password === undefined) throw new Error('--compare needs --compare-user and --compare-password');
  const service = flags['compare-service'] ?? 'registry';
  const ours = await startOurServer('vault-cache', dir, ourConfig(vault, 30));
  const other: Target = { name: 'other', url, pid: null, stop: async () => undefined };
  const rows: ScenarioResult[] = [];
  const pairs: Array<[string, ScenarioResult, ScenarioResult]> = [];
  for (const [name, scopes] of [
    ['hot', HOT_SCOPES],
    ['wide', WIDE_SCOPES],
  ] as const) {
    const a = await load(name, 'ours', ours, { service: SERVICE, users: hotUsers, scopes, warmupSeconds: settings.warmupSeconds });
    const b = await load(`${name} (other)`, url, other, { service, users: { user, password }, scopes, warmupSeconds: settings.warmupSeconds });
    rows.push(a, b);
    pairs.push([name, a, b]);
  }
  console.log(table(rows));
  console.log('');
  for (const [name, a, b] of pairs) {
    console.log(
      `${name}: ours ÷ other = ${(a.tokensPerSecond / b.tokensPerSecond).toFixed(2)}× tokens/s, p99 ${a.latencyMs.p99} vs ${b.latencyMs.p99} ms${b.errors ? ` (other: ${b.errors} errors)` : ''}`,
    );
  }
  await writeResults({ mode: 'compare', other: url, scenarios: rows }, rows);
}

function ourConfig(vault: VaultServer, ttlSeconds: number, service = SERVICE): Record<string, unknown> {
  return {
    storage: { vault: { addr: vault.address, auth_token: ROOT_TOKEN, kv_version: 'auto', timeout: '5s' } },
    passwords: { hash: 'argon2id' },
    cache: ttlSeconds === 0 ? { ttl: 0 } : { ttl: `${ttlSeconds}s`, stale: '5m', max_entries: 100_000 },
    services: [{ name: service, mount: service }],
  };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  };
}

async function writeResults(data: Record<string, unknown>, rows: readonly ScenarioResult[]): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/gu, '-').replace(/\..*$/u, '');
  const base = path.join(RESULTS, `${stamp}${quick ? '-quick' : ''}`);
  const info = machine();
  await writeFile(`${base}.json`, `${JSON.stringify({ date: new Date().toISOString(), quick, settings, machine: info, ...data }, null, 2)}\n`);
  const chartRows = rows.map((row) => ({ label: row.scenario, tokensPerSecond: row.tokensPerSecond, ...row.latencyMs }));
  await writeFile(
    `${base}.svg`,
    renderChart(chartRows, `vault-registry-auth: ${info.cores} cores, ${info.cpuModel}, Node ${info.node}${quick ? ' (quick)' : ''}`),
  );
  console.log(`\nresults: ${path.relative(process.cwd(), base)}.json and .svg`);
}

async function main(): Promise<void> {
  const binary = findPeer('vault', 'bao');
  if (!binary) throw new Error('no vault binary: run `npm run peers` (looked in ~/.cache/vault-registry-auth/peers/bin and on PATH)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  progress('[vault] starting the dev server');
  const vault = await VaultServer.start(binary);
  cleanups.push(() => vault.stop());
  const info = machine();
  process.stderr.write(`\nmachine: ${info.cores} cores, ${info.cpuModel}, Node ${info.node}; ${quick ? 'quick run' : 'full run'}\n`);
  const { fileStore } = await loadUsers(vault, dir);

  if (flags.compare) {
    await compareMode(dir, vault, flags.compare);
    return;
  }

  const rows: ScenarioResult[] = [];
  const notes: string[] = [
    `The ${settings.manyUsers.toLocaleString('en-US')} many-users users are hashed with bcrypt cost ${MANY_BCRYPT_COST} so that loading them takes seconds (bcrypt 10 or argon2id would take minutes); the 100 hot users are half argon2id (library defaults, as the CLI stores them), half bcrypt cost 10.`,
  ];
  const servers: Target[] = [];

  // Our server, Vault storage, the production cache.
  const main = await startOurServer('vault-cache', dir, ourConfig(vault, 30));
  servers.push(main);
  rows.push(
    await load('hot', `${HOT_USERS} users (half argon2id, half bcrypt 10), one scope, cache warmed`, main, {
      service: SERVICE,
      users: hotUsers,
      scopes: HOT_SCOPES,
      warmupSeconds: settings.warmupSeconds,
    }),
  );
  rows.push(
    await load('wide', `${HOT_USERS} users, five scopes per request (registry:catalog:* among them)`, main, {
      service: SERVICE,
      users: hotUsers,
      scopes: WIDE_SCOPES,
      warmupSeconds: settings.warmupSeconds,
    }),
  );
  // Timing: unknown user vs wrong password, sequential, one connection, in
  // both cache states an attacker meets: the first probe of a name (neither
  // side cached: a Vault read and a hash each) and a probe repeated (both
  // sides cached: a hash each).
  // On a server of its own with throttling off: throttled, a prober gets 429
  // after a few failures, and the password path this measures is never reached.
  await main.stop();
  const timingServer = await startOurServer('vault-timing', dir, { ...ourConfig(vault, 30), throttle: { enabled: false } });
  servers.push(timingServer);
  const timingFirst = await timingRun('timing (first probe)', timingServer, { known: probeUsers });
  const timingRepeated = await timingRun('timing (repeated)', timingServer, { known: argonUsers, unknown: ghostUsers });
  const timing = { firstProbe: timingFirst, repeated: timingRepeated };
  await timingServer.stop();

  // Many users: a server whose cache TTL covers every pass, so that the
  // later pass measures a cache holding all of them, not its expiry (with
  // the default 30 s, a user who asks less often than every 30 s costs a
  // Vault read each time: that is the cold pass).
  const many = await startOurServer('vault-many', dir, ourConfig(vault, MANY_USERS_TTL_SECONDS));
  servers.push(many);
  const cold = await load('many-users cold', `first pass over ${settings.manyUsers} users: a Vault read and a bcrypt ${MANY_BCRYPT_COST} check each`, many, {
    service: SERVICE,
    users: manyUsers,
    scopes: HOT_SCOPES,
    amount: settings.manyUsers,
  });
  rows.push(cold);
  // Each worker process has its own cache: a keep-alive connection stays with
  // one worker, so a user seen in the cold pass may land on another worker
  // next time. Unmeasured passes first fill every worker's cache.
  for (let pass = 0; pass < 3; pass += 1) {
    await load('many-users (filling every worker)', 'unmeasured pass', many, {
      service: SERVICE,
      users: manyUsers,
      scopes: HOT_SCOPES,
      amount: settings.manyUsers,
    });
  }
  rows.push(
    // Later passes, timed like hot (a fixed duration, round-robin over all
    // the users): a pass of 10,000 requests alone lasts about a second, too
    // short to measure anything but the load generator's start.
    await load(
      'many-users later',
      `later passes over the same ${settings.manyUsers} users, round-robin for ${settings.seconds} s, once every worker has seen them`,
      many,
      {
        service: SERVICE,
        users: manyUsers,
        scopes: HOT_SCOPES,
      },
    ),
  );
  notes.push(
    `The many-users server has cache.ttl ${MANY_USERS_TTL_SECONDS / 60} min so that all its passes fall inside it; the other Vault servers have the default 30 s.`,
  );
  await many.stop();

  // The embedded file store, same users and cache.
  const file = await startOurServer('file-cache', dir, {
    storage: { file: { path: fileStore } },
    passwords: { hash: 'argon2id' },
    cache: { ttl: '30s', stale: '5m', max_entries: 100_000 },
    services: [{ name: SERVICE, mount: SERVICE }],
  });
  servers.push(file);
  rows.push(
    await load('hot-file', 'as hot, users in the embedded YAML file store', file, {
      service: SERVICE,
      users: hotUsers,
      scopes: HOT_SCOPES,
      warmupSeconds: settings.warmupSeconds,
    }),
  );
  await file.stop();

  // Godoauth-style: plaintext passwords in a KV v1 mount, no cache.
  const godoauth = await startOurServer('godoauth', dir, ourConfig(vault, 0, GODOAUTH));
  servers.push(godoauth);
  rows.push(
    await load('godoauth-style', `${HOT_USERS} plaintext users, KV v1, cache.ttl 0: a Vault read per request`, godoauth, {
      service: GODOAUTH,
      users: hotUsers,
      scopes: HOT_SCOPES,
      warmupSeconds: settings.warmupSeconds,
    }),
  );
  await godoauth.stop();

  // The limit: a bare Koa + jose ES256 handler.
  const bare = await startBareServer();
  rows.push(
    await load('limit', 'bare Koa + jose ES256 handler (bench/bare-server.ts), the hot load', bare, {
      service: SERVICE,
      users: hotUsers,
      scopes: HOT_SCOPES,
      warmupSeconds: settings.warmupSeconds,
    }),
  );
  await bare.stop();

  const ourRows = rows.filter((row) => row.scenario !== 'limit');
  const peakRssMb = Math.max(...ourRows.map((row) => row.serverVmHwmMb).filter(Number.isFinite));
  const hot = rows.find((row) => row.scenario === 'hot')!;
  const limit = rows.find((row) => row.scenario === 'limit')!;
  const targets = checkTargets(rows, timing, peakRssMb);

  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(describeTiming('timing, first probe (neither side cached)', timing.firstProbe));
  console.log(describeTiming('timing, repeated (both sides cached)', timing.repeated));
  console.log(`hot ÷ limit: ${(hot.tokensPerSecond / limit.tokensPerSecond).toFixed(2)}×`);
  console.log(`peak RSS of our servers (VmHWM): ${num(peakRssMb)} MB`);
  console.log('');
  console.log('targets:');
  for (const check of targets) console.log(`  ${check.met === null ? '?' : check.met ? 'met   ' : 'missed'}  ${check.target}: ${check.value}`);
  for (const note of notes) console.log(`note: ${note}`);
  await writeResults(
    { scenarios: rows, timing, hotOverLimit: hot.tokensPerSecond / limit.tokensPerSecond, peakRssMb, targets, notes, servers: servers.map((s) => s.name) },
    rows,
  );
}

try {
  await main();
} catch (error) {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
