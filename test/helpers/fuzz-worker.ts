/**
 * The HTTP fuzz suite's sender, in a worker thread: its event loop is not
 * the server's (which runs in the test's main thread), so the time it
 * measures is the server's answer, not the fuzzer's own work.
 *
 * It sends the cases it is given and returns every answer; the main thread
 * checks them. Slow clients and raw sockets start with the flood (the pool,
 * `concurrency` requests in flight), then come the bursts, 200 at once. No
 * answer within `timeoutMs` (a slow client: `slowTimeoutMs`) is a hang.
 */
import net from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import type { FuzzCase } from './fuzz-requests.js';
import { type FuzzAnswer, type FuzzResponse, parseResponses } from './fuzz-wire.js';

export interface SenderInput {
  readonly url: string;
  readonly cases: readonly FuzzCase[];
  readonly concurrency: number;
  readonly rawConcurrency: number;
  readonly timeoutMs: number;
  readonly slowTimeoutMs: number;
}

export interface SenderOutput {
  readonly answers: FuzzAnswer[];
  readonly durationMs: number;
  /** The longest this sender's own event loop was held: its timings are no better than that. */
  readonly senderDelayMaxMs: number;
}

async function sendAll(input: SenderInput): Promise<SenderOutput> {
  const started = performance.now();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const answers: FuzzAnswer[] = [];
  const { hostname, port } = new URL(input.url);
  const pooled = input.cases.filter((c) => c.via === 'pool');
  const raw = input.cases.filter((c) => c.via === 'raw' && !c.drip);
  const slow = input.cases.filter((c) => c.drip);
  const bursts: FuzzCase[][] = [];
  for (const c of input.cases.filter((c) => c.via === 'burst')) {
    if (bursts.length === 0 || (bursts[bursts.length - 1] as FuzzCase[]).length === 200) bursts.push([]);
    (bursts[bursts.length - 1] as FuzzCase[]).push(c);
  }

  const slowDone = Promise.all(slow.map((c) => sendRaw(hostname, Number(port), c, input.slowTimeoutMs).then((a) => answers.push(a))));
  const pool = new Pool(input.url, { connections: input.concurrency, headersTimeout: input.timeoutMs, bodyTimeout: input.timeoutMs });
  await Promise.all([
    runQueue(pooled, input.concurrency, async (c) => answers.push(await sendPooled(pool, c))),
    runQueue(raw, input.rawConcurrency, async (c) => answers.push(await sendRaw(hostname, Number(port), c, input.timeoutMs))),
  ]);
  await pool.close();
  for (const burst of bursts) {
    // A pool as wide as the burst: 200 connections, 200 requests at once.
    const wide = new Pool(input.url, { connections: burst.length, headersTimeout: input.timeoutMs, bodyTimeout: input.timeoutMs });
    answers.push(...(await Promise.all(burst.map((c) => sendPooled(wide, c)))));
    await wide.close();
  }
  await slowDone;
  loop.disable();
  return { answers, durationMs: performance.now() - started, senderDelayMaxMs: loop.max / 1e6 };
}

async function runQueue<T>(items: readonly T[], width: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await each(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, runner));
}

async function sendPooled(pool: Pool, c: FuzzCase): Promise<FuzzAnswer> {
  const started = performance.now();
  try {
    const response = await pool.request({
      path: c.target,
      method: c.method,
      headers: c.headers as Record<string, string | string[]>,
      ...(c.body ? { body: Buffer.from(c.body) } : {}),
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer: FuzzResponse = { status: response.statusCode, headers, body };
    return { id: c.id, ms: performance.now() - started, responses: [answer] };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return { id: c.id, ms: performance.now() - started, error: `${code ?? 'error'}: ${message ?? String(error)}`, responses: [] };
  }
}

/** Writes the case's bytes (trickled for a slow client), reads until the server closes. */
function sendRaw(host: string, port: number, c: FuzzCase, timeoutMs: number): Promise<FuzzAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const data = Buffer.from(c.bytes ?? new Uint8Array());
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let connectedMs: number | undefined;
    const socket = net.connect(port, host, () => {
      connectedMs = performance.now() - started;
      if (!c.drip) {
        socket.write(data);
        return;
      }
      const { first = 0, chunk, everyMs } = c.drip;
      let at = first;
      if (first > 0) socket.write(data.subarray(0, first));
      const send = (): void => {
        if (socket.destroyed || at >= data.length) return;
        socket.write(data.subarray(at, at + chunk));
        at += chunk;
        timer = setTimeout(send, everyMs);
      };
      send();
    });
    const deadline = setTimeout(() => {
      error = `hang: no close within ${timeoutMs} ms (${connectedMs === undefined ? 'never connected' : `connected after ${connectedMs.toFixed(0)} ms`}, ${chunks.length} chunks read)`;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error ??= `${e.code ?? 'error'}: ${e.message}`;
    });
    socket.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(timer);
      const responses = parseResponses(Buffer.concat(chunks), c.heads ?? [c.target !== '' && data.subarray(0, 5).toString('latin1') === 'HEAD ']);
      resolve({ id: c.id, ms: performance.now() - started, ...(error ? { error } : {}), responses });
    });
  });
}

if (parentPort) {
  const port = parentPort;
  sendAll(workerData as SenderInput).then(
    (output) => port.postMessage(output),
    (error: unknown) => port.postMessage({ failed: String((error as Error)?.stack ?? error) }),
  );
}
