/**
 * The load generator of `npm run bench`, in a process of its own so that it
 * takes CPU from neither the server under test nor the harness.
 *
 *   node dist/bench/load-worker.js '<job JSON>'
 *
 * A `load` job runs autocannon (keep-alive, one request in flight per
 * connection) for a duration or an amount of requests, with the user taken
 * round-robin over all connections; a `timing` job sends requests one at a
 * time, alternating an unknown user and a wrong password, and times each.
 * Progress goes to stderr as `P <requests>` lines; the result is one JSON
 * document on stdout.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { type LoadJob, type LoadOutput, type Job, requestPath, type TimingJob, type TimingOutput, type TimingSide, userAt, userCount } from './load-spec.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function runLoad(job: LoadJob): Promise<LoadOutput> {
  const count = userCount(job.users);
  const prepared = Array.from({ length: count }, (_, i) => {
    const { user, password } = userAt(job.users, i);
    return { path: requestPath(job.url, job.service, user, job.scopes), authorization: basic(user, password) };
  });
  let next = 0;
  let responses = 0;
  const origin = new URL(job.url).origin;
  let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: origin,
      connections: job.amount !== undefined ? Math.min(job.connections, job.amount) : job.connections,
      pipelining: 1,
      timeout: 10,
      ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.durationSeconds ?? 10 }),
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            const entry = prepared[next++ % count]!;
            return { ...request, path: entry.path, headers: { ...request.headers, authorization: entry.authorization } };
          },
        },
      ],
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', () => {
    responses++;
  });
  const progress = setInterval(() => process.stderr.write(`P ${responses}\n`), 250);
  process.stderr.write('START\n');
  const result = await finished;
  clearInterval(progress);
  const ok = (result as unknown as Record<string, number>)['2xx'] ?? 0;
  return {
    mode: 'load',
    durationSeconds: result.duration,
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function side(times: number[], statuses: Record<string, number>): TimingSide {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    count: times.length,
    statuses,
    medianMs: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    meanMs: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
  };
}

async function runTiming(job: TimingJob): Promise<TimingOutput> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(job.url);
  const once = (user: string, password: string): Promise<{ ms: number; status: number }> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: requestPath(job.url, job.service, user, [job.scope]),
          headers: { authorization: basic(user, password) },
          timeout: 10_000,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.statusCode ?? 0 }));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', reject);
      request.end();
    });
  const unknown: number[] = [];
  const wrong: number[] = [];
  const unknownStatuses: Record<string, number> = {};
  const wrongStatuses: Record<string, number> = {};
  const count = (map: Record<string, number>, status: number): void => {
    map[status] = (map[status] ?? 0) + 1;
  };
  process.stderr.write('START\n');
  let last = Date.now();
  for (let i = 0; i < job.pairs; i++) {
    // Alternate which side goes first so neither always follows the other.
    const sides = i % 2 === 0 ? (['unknown', 'wrong'] as const) : (['wrong', 'unknown'] as const);
    for (const which of sides) {
      if (which === 'unknown') {
        const name = job.unknown ? userAt(job.unknown, i).user : `ghost-${process.pid}-${i}`;
        const result = await once(name, `not-a-password-${i}`);
        unknown.push(result.ms);
        count(unknownStatuses, result.status);
      } else {
        const known = userAt(job.known, i);
        const result = await once(known.user, `${known.password}-wrong`);
        wrong.push(result.ms);
        count(wrongStatuses, result.status);
      }
    }
    if (Date.now() - last > 250) {
      process.stderr.write(`P ${2 * (i + 1)}\n`);
      last = Date.now();
    }
  }
  agent.destroy();
  return { mode: 'timing', unknownUser: side(unknown, unknownStatuses), wrongPassword: side(wrong, wrongStatuses) };
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const output = job.mode === 'timing' ? await runTiming(job) : await runLoad(job);
process.stdout.write(`${JSON.stringify(output)}\n`);
