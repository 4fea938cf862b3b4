/**
 * A real Docker engine of the test's own, for registry clients only (no
 * container is ever run): `dockerd` as root with its data root, exec root,
 * pid file, daemon.json and API socket in one temporary folder, no iptables,
 * no bridge, the vfs storage driver, and a containerd of its own
 * (ContainerdDaemon, so nothing lands in /opt/containerd either). The `docker`
 * CLI talks to it through DOCKER_HOST with a DOCKER_CONFIG folder of the
 * test's, so no login ever reaches ~/.docker.
 *
 * In docker, the registry client is the daemon: `docker login` asks the
 * daemon (POST /auth), which fetches the token; push and pull likewise. A
 * registry on localhost (127.0.0.0/8) is insecure by default, so plain HTTP
 * to `localhost:PORT` is allowed without --insecure-registry.
 *
 * The one thing dockerd writes outside its folders is the empty plugin
 * discovery folder /run/docker/plugins (a fixed path); stop() removes it
 * again when this helper created it and it is still empty.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ContainerdDaemon, waitForDaemon } from './containerd-daemon.js';
import { run, startDaemon, type Daemon, type RunResult } from './process.js';

export interface DockerBinaries {
  readonly dockerd: string;
  readonly docker: string;
  readonly containerd: string;
  readonly ctr: string;
}

export interface DockerOptions {
  /** How long dockerd may take to answer /_ping (about 0.5 s here, with its containerd up). */
  readonly startTimeoutMs?: number;
  /** The default timeout of each docker command. */
  readonly commandTimeoutMs?: number;
}

export interface DockerCommandOptions {
  readonly timeoutMs?: number;
  /** Written to the command's standard input (e.g. for --password-stdin). */
  readonly input?: string;
  /** The DOCKER_CONFIG folder (default: the daemon's own `cli` folder). */
  readonly configDir?: string;
}

/** A reason the docker helpers cannot run here, or null. */
export function dockerUnavailable(): string | null {
  if (process.platform !== 'linux') return 'dockerd runs on Linux only';
  if (process.getuid?.() !== 0) return 'dockerd needs root (the tests start their own daemon)';
  return null;
}

const PLUGINS_DIR = '/run/docker/plugins';

export class DockerDaemon {
  readonly dir: string;
  /** DOCKER_HOST: unix://<dir>/docker.sock */
  readonly host: string;
  /** The CLI's default DOCKER_CONFIG folder, where `docker login` keeps what it stores. */
  readonly configDir: string;
  /** The daemon's version, as `dockerd --version` printed it. */
  readonly version: string;
  readonly #socket: string;
  readonly #docker: string;
  readonly #daemon: Daemon;
  readonly #containerd: ContainerdDaemon;
  readonly #commandTimeoutMs: number;
  readonly #createdRunDocker: boolean;

  private constructor(fields: {
    dir: string;
    socket: string;
    version: string;
    docker: string;
    daemon: Daemon;
    containerd: ContainerdDaemon;
    commandTimeoutMs: number;
    createdRunDocker: boolean;
  }) {
    this.dir = fields.dir;
    this.#socket = fields.socket;
    this.host = `unix://${fields.socket}`;
    this.configDir = path.join(fields.dir, 'cli');
    this.version = fields.version;
    this.#docker = fields.docker;
    this.#daemon = fields.daemon;
    this.#containerd = fields.containerd;
    this.#commandTimeoutMs = fields.commandTimeoutMs;
    this.#createdRunDocker = fields.createdRunDocker;
  }

  static async start(binaries: DockerBinaries, options: DockerOptions = {}): Promise<DockerDaemon> {
    const unavailable = dockerUnavailable();
    if (unavailable) throw new Error(unavailable);
    const versionRun = await run(binaries.dockerd, ['--version'], { timeoutMs: 10_000 });
    if (versionRun.code !== 0) throw new Error(`dockerd --version failed: ${versionRun.stderr}`);
    const version = /version ([^\s,]+)/u.exec(versionRun.stdout)?.[1] ?? 'unknown';

    const containerd = await ContainerdDaemon.start(binaries, { startTimeoutMs: options.startTimeoutMs ?? 20_000 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-docker-'));
    const socket = path.join(dir, 'docker.sock');
    await mkdir(path.join(dir, 'cli'));
    await writeFile(path.join(dir, 'cli', 'config.json'), JSON.stringify({ auths: {} }));
    // dockerd before 23 keeps a "trust key" in /etc/docker/key.json unless
    // daemon.json names another place; later versions have no such key and
    // refuse the setting.
    const major = Number.parseInt(version, 10);
    const daemonJson = Number.isFinite(major) && major < 23 ? { 'deprecated-key-path': path.join(dir, 'key.json') } : {};
    await writeFile(path.join(dir, 'daemon.json'), JSON.stringify(daemonJson));

    const createdRunDocker = !existsSync('/run/docker');
    const daemon = startDaemon(binaries.dockerd, [
      '--config-file',
      path.join(dir, 'daemon.json'),
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '--host',
      `unix://${socket}`,
      '--containerd',
      containerd.socket,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      '--userland-proxy=false',
      '--storage-driver=vfs',
      '--log-level=info',
    ]);
    const docker = new DockerDaemon({
      dir,
      socket,
      version,
      docker: binaries.docker,
      daemon,
      containerd,
      commandTimeoutMs: options.commandTimeoutMs ?? 120_000,
      createdRunDocker,
    });
    try {
      await waitForDaemon(daemon, 'dockerd', () => ping(socket), options.startTimeoutMs ?? 30_000);
    } catch (error) {
      await docker.stop();
      throw error;
    }
    return docker;
  }

  /** `docker ARGS…` against this daemon, bounded by `timeoutMs` (never throws on a non-zero exit). */
  docker(args: readonly string[], options: DockerCommandOptions = {}): Promise<RunResult> {
    const configDir = options.configDir ?? this.configDir;
    return runWithInput(this.#docker, args, {
      env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: configDir, HOME: configDir, DOCKER_CLI_HINTS: 'false', NO_COLOR: '1' },
      timeoutMs: options.timeoutMs ?? this.#commandTimeoutMs,
      input: options.input,
    });
  }

  /** `docker login --username USER --password-stdin REGISTRY`. */
  login(registry: string, user: string, password: string, options: Omit<DockerCommandOptions, 'input'> = {}): Promise<RunResult> {
    return this.docker(['login', '--username', user, '--password-stdin', registry], { ...options, input: password });
  }

  /** `docker import TARBALL REF`: an image with the tarball as its one layer. */
  importImage(tarball: string, ref: string): Promise<RunResult> {
    return this.docker(['import', tarball, ref]);
  }

  /** What dockerd (then its containerd) logged, the last 64 kB of each. */
  output(): string {
    return `${this.#daemon.output()}\n--- containerd ---\n${this.#containerd.output()}`;
  }

  /** Stops dockerd (SIGTERM, SIGKILL after 5 s), then its containerd, and removes their folders. */
  async stop(): Promise<void> {
    await this.#daemon.stop();
    await this.#containerd.stop();
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    if (this.#createdRunDocker) {
      // Only when empty: never another daemon's plugins.
      await rmdir(PLUGINS_DIR).catch(() => {});
      await rmdir('/run/docker').catch(() => {});
    }
  }
}

/** True when dockerd answers GET /_ping on its socket. */
function ping(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const request = http.get({ socketPath: socket, path: '/_ping', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** Like process.ts's run(), with standard input; a command past its timeout is killed (code 124). */
function runWithInput(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number; input: string | undefined },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString('utf8')).slice(-1_000_000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-1_000_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}\n(killed after ${options.timeoutMs} ms)\n` });
      else resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
