/**
 * A real containerd daemon of the test's own: root, state, sockets and the
 * `opt` folder all in one temporary folder, from a generated config.toml with
 * the CRI plugin off. It never touches /run/containerd, /var/lib/containerd or
 * /opt/containerd, and is always stopped (and its folder removed) by stop().
 *
 * containerd needs root. `ctr(…)` runs `ctr --address <socket> --namespace
 * vra-test …`; the registry client in `ctr images pull/push` runs inside ctr
 * itself (containerd only stores the content), with the docker resolver:
 * token auth tries the OAuth2 POST password grant first and falls back to a
 * GET on 400/401/404/405.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run, startDaemon, type Daemon, type RunResult } from './process.js';

export interface ContainerdBinaries {
  readonly containerd: string;
  readonly ctr: string;
}

export interface ContainerdOptions {
  /** How long the daemon may take to answer on its socket (about 0.5 s here). */
  readonly startTimeoutMs?: number;
  /** The default timeout of each ctr command. */
  readonly commandTimeoutMs?: number;
}

/** The containerd namespace the tests' images live in. */
export const CONTAINERD_NAMESPACE = 'vra-test';

/** Longest path a unix socket may have (108 bytes in sockaddr_un, less the terminator and some room). */
const MAX_SOCKET_PATH = 100;

/** A reason the containerd helpers cannot run here, or null. */
export function containerdUnavailable(): string | null {
  if (process.platform !== 'linux') return 'containerd runs on Linux only';
  if (process.getuid?.() !== 0) return 'containerd needs root (the tests start their own daemon)';
  return null;
}

export class ContainerdDaemon {
  /** The folder holding everything of this daemon's. */
  readonly dir: string;
  /** The gRPC socket (ctr's --address; dockerd's --containerd). */
  readonly socket: string;
  readonly #ctr: string;
  readonly #daemon: Daemon;
  readonly #commandTimeoutMs: number;

  private constructor(dir: string, socket: string, ctr: string, daemon: Daemon, commandTimeoutMs: number) {
    this.dir = dir;
    this.socket = socket;
    this.#ctr = ctr;
    this.#daemon = daemon;
    this.#commandTimeoutMs = commandTimeoutMs;
  }

  static async start(binaries: ContainerdBinaries, options: ContainerdOptions = {}): Promise<ContainerdDaemon> {
    const unavailable = containerdUnavailable();
    if (unavailable) throw new Error(unavailable);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-containerd-'));
    const socket = path.join(dir, 'containerd.sock');
    if (Buffer.byteLength(`${socket}.ttrpc`) > MAX_SOCKET_PATH) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`the socket path ${socket} is too long for a unix socket: set TMPDIR to a shorter folder`);
    }
    const config = path.join(dir, 'config.toml');
    await writeFile(config, containerdConfig(dir, socket));
    const daemon = startDaemon(binaries.containerd, ['--config', config, '--log-level', 'info']);
    const containerd = new ContainerdDaemon(dir, socket, binaries.ctr, daemon, options.commandTimeoutMs ?? 60_000);
    try {
      await waitForDaemon(daemon, 'containerd', () => connects(socket), options.startTimeoutMs ?? 20_000);
    } catch (error) {
      await containerd.stop();
      throw error;
    }
    return containerd;
  }

  /** `ctr --address <socket> --namespace vra-test ARGS…`, bounded by `timeoutMs`. */
  ctr(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
    return run(this.#ctr, ['--address', this.socket, '--namespace', CONTAINERD_NAMESPACE, ...args], {
      timeoutMs: options.timeoutMs ?? this.#commandTimeoutMs,
      env: { CONTAINERD_ADDRESS: this.socket, CONTAINERD_NAMESPACE },
    });
  }

  /** What the daemon logged (the last 64 kB). */
  output(): string {
    return this.#daemon.output();
  }

  /** Stops the daemon (SIGTERM, SIGKILL after 5 s) and removes its folder. */
  async stop(): Promise<void> {
    await this.#daemon.stop();
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * config.toml (version 2) keeping every path in `dir`: no CRI (it would want
 * CNI and /etc/cni), no debug or metrics socket, and the `opt` plugin's
 * folder (/opt/containerd by default) in `dir` too.
 */
export function containerdConfig(dir: string, socket: string): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    'version = 2',
    `root = ${q(path.join(dir, 'root'))}`,
    `state = ${q(path.join(dir, 'state'))}`,
    `temp = ${q(path.join(dir, 'tmp'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '',
    '[grpc]',
    `  address = ${q(socket)}`,
    '',
    '[ttrpc]',
    `  address = ${q(`${socket}.ttrpc`)}`,
    '',
    '[debug]',
    '  address = ""',
    '',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

/**
 * Polls `ready` every 100 ms until it is true; fails at once when the daemon
 * exits, or after `timeoutMs`, with the daemon's last output in the message.
 */
export async function waitForDaemon(daemon: Daemon, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { exitCode, signalCode } = daemon.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`${what} exited (${exitCode ?? signalCode}) before it was ready:\n${daemon.output().slice(-4000)}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${daemon.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True when something accepts connections on the unix socket `socket`. */
export function connects(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}
