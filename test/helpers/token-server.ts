/**
 * Our server, started in-process on a free loopback port with a config
 * document, a fresh signing key and a logger whose output the test can read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { type ConfigEnv, parseConfig } from '../../src/config/load.js';
import type { ServerEvents } from '../../src/events.js';
import type { Clock } from '../../src/util/clock.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { makeKey, type KeyKind } from './keys.js';

export interface TestServer {
  readonly url: string;
  readonly dir: string;
  readonly certificatePem: string;
  readonly certificatePath: string;
  /** Everything logged so far, one JSON object per line. */
  logs(): string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly keyKind?: KeyKind;
  /** The environment the config is read with (VAULT_* variables). */
  readonly env?: ConfigEnv;
  readonly clock?: Clock;
  readonly events?: ServerEvents;
  /** After how long a slow start-up step is logged (StartOptions.slowStepNoticeMs). */
  readonly slowStepNoticeMs?: number;
}

export async function startTestServer(document: Record<string, unknown>, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-server-'));
  const key = await makeKey(options.keyKind ?? 'p256');
  await writeFile(path.join(dir, 'token.key'), key.keyPem, { mode: 0o600 });
  await writeFile(path.join(dir, 'token.pem'), key.certificatePem);

  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString('utf8');
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });

  // Keys from Vault (token.vault_path) take no key files.
  const files = (document.token as { vault_path?: string } | undefined)?.vault_path ? {} : { certificate: 'token.pem', key: 'token.key' };
  const token = { issuer: 'vra-test', expiration: 300, ...files, ...(document.token as object | undefined) };
  // The audit log (stderr by default) is off unless a test asks for it: test output stays readable.
  const config = parseConfig(
    { audit: { output: 'off' }, ...document, http: { addr: '127.0.0.1:0', ...(document.http as object | undefined) }, token },
    dir,
    options.env ?? {},
  );
  let running: RunningServer;
  try {
    running = await startServer(config, {
      logger,
      announce: () => {},
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.slowStepNoticeMs === undefined ? {} : { slowStepNoticeMs: options.slowStepNoticeMs }),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: running.url,
    dir,
    certificatePem: key.certificatePem,
    certificatePath: path.join(dir, 'token.pem'),
    logs: () => logged,
    async close() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** GET the realm with optional Basic credentials; returns status, headers and parsed JSON. */
export async function getToken(
  server: { url: string },
  query: string,
  credentials?: [string, string],
  realm = '/auth',
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${server.url}${realm}${query ? `?${query}` : ''}`, {
    headers: credentials ? { Authorization: basic(...credentials) } : {},
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** The claims of a compact JWT, unverified (the tests verify signatures where that is the point). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, any>;
}

/**
 * The status of one token request (repository:demo/app:pull) on a connection
 * of its own, so that the kernel's round robin can pick any worker process.
 */
export function tokenStatus(url: string, [user, password]: [string, string]): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/auth?service=registry&scope=repository:demo/app:pull`,
      { agent: false, headers: { Authorization: basic(user, password) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
}

/** One line of a test server's log, parsed. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** The server's log so far, a parsed object per line. */
export const logLines = (server: TestServer): LogLine[] =>
  server
    .logs()
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogLine);
