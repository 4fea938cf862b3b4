/**
 * `serve` on every core (`http.workers` > 1): a primary process that forks
 * workers, each running startServer on the same port (node:cluster shares
 * the listening socket). What must happen once (key files, the first-start
 * user file and its password) the primary does before forking; everything
 * per process (keys, user cache, Vault client and its login, the verifier's
 * memory) each worker has its own.
 *
 * The primary logs `listening` once, when every worker listens; a worker
 * that dies is replaced (at most MAX_RESTARTS in RESTART_WINDOW_MS, then the
 * primary gives up with exit code 1); SIGTERM/SIGINT stop the workers, each
 * closing its server so that requests in flight finish. A worker that fails
 * to start during the first start fails the whole start (StartupError).
 *
 * Reload (src/reload/): the primary checks the new config once (it is read
 * and its key files loaded), then tells each worker, which reloads itself in
 * place and logs `reloaded`; a worker whose reload fails keeps its old app.
 */
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'winston';
import type { Config } from './config/config.js';
import { ConfigError } from './config/load.js';
import { createLogger } from './logger.js';
import { type RunningServer, StartupError, type StartOptions } from './server.js';
import { serveClusterCounters } from './throttle/counters.js';
import { listenMetrics, MetricsListenError } from './http/metrics-server.js';
import { aggregateWorkers } from './observers/metrics-cluster.js';
import type { ConfigEnv } from './config/load.js';
import { Reloader } from './reload/reloader.js';
import { validateReload } from './reload/validate.js';
import { secretFilesOf } from './config/secret-files.js';
import { warnExposedFiles } from './util/file-permissions.js';

/** Replacements allowed within RESTART_WINDOW_MS before the primary gives up. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;

type WorkerMessage =
  | { readonly type: 'vra:ready'; readonly details: Readonly<Record<string, unknown>> }
  | { readonly type: 'vra:failed'; readonly message: string; readonly startup: boolean };
type PrimaryMessage = { readonly type: 'vra:stop' } | { readonly type: 'vra:reload'; readonly reason: string };

/** dist/src/cli.js, from this file at dist/src/cluster.js. */
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.js');

export interface PrimaryOptions {
  readonly configFile: string;
  readonly logger: Logger;
  /** Merged into each worker's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningCluster {
  /** Stops every worker (each closes its server) and resolves to the exit code: 0, or 1 when one had to cut connections or be killed. */
  stop(): Promise<number>;
  /** Checks the config file once and tells the workers to reload; resolves to the config now in use, or null when refused. */
  reload(reason: string): Promise<Config | null>;
}

/** Forks `config.workers` workers and resolves once all of them listen; rejects when one fails to start. */
export async function startPrimary(config: Config, options: PrimaryOptions): Promise<RunningCluster> {
  const { logger } = options;
  const count = config.workers;
  // Each worker cuts what is left after http.shutdown_timeout and exits 1;
  // the margin is for that, and a worker that does not is killed. The
  // setting of the config in use: a reload may have changed it.
  const stopGraceMs = (): number => current.http.shutdownTimeoutMs + 2_000;
  cluster.setupPrimary({ exec: CLI, args: ['serve', '--config', options.configFile] });

  let starting = true;
  let stopping: Promise<number> | null = null;
  const restarts: number[] = [];
  const fork = (): Worker => cluster.fork(options.env ?? {});

  const ready = new Promise<Readonly<Record<string, unknown>>>((resolve, reject) => {
    let first: Readonly<Record<string, unknown>> | null = null;
    let listening = 0;
    const fail = (error: Error): void => {
      if (!starting) return;
      starting = false;
      // Neither replaced nor stopped gracefully: the start failed.
      stopping = Promise.resolve(2);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGKILL');
      reject(error);
    };
    cluster.on('message', (worker: Worker, message: WorkerMessage) => {
      if (message?.type === 'vra:ready') {
        if (!starting) return;
        first ??= message.details;
        listening += 1;
        if (listening === count) {
          starting = false;
          resolve(first);
        }
      } else if (message?.type === 'vra:failed') {
        if (starting) fail(message.startup ? new StartupError(message.message) : new Error(message.message));
        else logger.error('a worker failed to start', { worker_pid: worker.process.pid, error: message.message });
      }
    });
    cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
      if (starting) {
        fail(new StartupError(`a worker exited during start-up (${signal ?? `code ${code}`})`));
        return;
      }
      if (stopping) return;
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] as number) <= now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length >= MAX_RESTARTS) {
        logger.error(`workers died ${MAX_RESTARTS + 1} times within ${RESTART_WINDOW_MS / 1000} s: stopping`, {
          worker_pid: worker.process.pid,
          code,
          signal,
        });
        void stop().then(() => process.exit(1));
        return;
      }
      restarts.push(now);
      logger.warn('a worker died: starting another', { worker_pid: worker.process.pid, code, signal });
      fork();
    });
  });

  const stop = (): Promise<number> => {
    stopping ??= new Promise<number>((resolve) => {
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
      if (workers.length === 0) {
        resolve(0);
        return;
      }
      let left = workers.length;
      let code = 0;
      const timer = setTimeout(() => {
        code = 1;
        logger.error('workers still busy after the grace period: killing them', { grace_ms: stopGraceMs() });
        for (const worker of workers) if (!worker.isDead()) worker.kill('SIGKILL');
      }, stopGraceMs());
      for (const worker of workers) {
        worker.once('exit', (exitCode: number | null) => {
          if (exitCode !== 0) code = 1;
          left -= 1;
          if (left === 0) {
            clearTimeout(timer);
            resolve(code);
          }
        });
        const message: PrimaryMessage = { type: 'vra:stop' };
        if (worker.isConnected()) worker.send(message);
        else worker.kill('SIGTERM');
      }
    });
    return stopping;
  };

  let current = config;
  const reload = async (reason: string): Promise<Config | null> => {
    const checked = await validateReload(options.configFile, options.env ?? process.env, current);
    if (!checked.ok) {
      logger.error(`reload refused, the running configuration keeps serving: ${checked.problem}`, { reason });
      return null;
    }
    if (checked.kept.length > 0) {
      logger.warn(`reload: ${checked.kept.join(', ')} changed but take a restart: the running values are kept`, { kept: checked.kept });
    }
    current = checked.config;
    // Said once here: the workers leave it to the primary (src/server.ts).
    await warnExposedFiles(secretFilesOf(current), logger);
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker?.isConnected() === true);
    logger.info('reloading the workers', { reason, workers: workers.length });
    const message: PrimaryMessage = { type: 'vra:reload', reason };
    for (const worker of workers) worker.send(message);
    return current;
  };

  // The throttle's counters of every worker live here, so that N workers do not give an attacker N times the guesses.
  // Always: a reload may turn the throttle on, and a worker asking nobody would wait for each answer.
  serveClusterCounters();
  // --- metrics (issue 9, item 2): the sum over workers, asked for by a worker's /metrics; metrics.addr is the primary's to listen on ---
  const metricsSource = config.metrics.enabled ? aggregateWorkers() : null;
  const metricsListener =
    metricsSource && config.metrics.listen
      ? await listenMetrics(config.metrics.listen, config.metrics.path, metricsSource).catch((error: unknown) => {
          throw error instanceof MetricsListenError ? new StartupError(error.message) : error;
        })
      : null;
  // --- end metrics ---
  for (let i = 0; i < count; i += 1) fork();
  const details = await ready;
  logger.info('listening', {
    ...details,
    // The primary's: the one to send SIGHUP (reload) or SIGTERM (stop).
    pid: process.pid,
    workers: count,
    worker_pids: Object.values(cluster.workers ?? {}).map((worker) => worker?.process.pid),
  });
  return {
    stop: () =>
      stop().then(async (code) => {
        await metricsListener?.close();
        return code;
      }),
    reload,
  };
}

/**
 * In a worker: startServer with a logger whose every line carries the pid,
 * `worker listening` when ready, then wait for the primary's stop (or a
 * signal, or the primary going away) and close the server.
 */
export async function runWorker(
  config: Config,
  startServer: (config: Config, options?: StartOptions) => Promise<RunningServer>,
  failure?: unknown,
  reloadFrom?: { readonly configFile: string; readonly env: ConfigEnv },
): Promise<void> {
  const send = (message: WorkerMessage): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected || !process.send) resolve();
      else process.send(message, undefined, {}, () => resolve());
    });
  let running: RunningServer;
  let logger: Logger;
  try {
    if (failure) throw failure;
    logger = createLogger(config.log).child({ pid: process.pid });
    running = await startServer(config, {
      logger,
      listening: { message: 'worker listening', fields: { worker: cluster.worker?.id } },
      metricsFromPrimary: true,
    });
  } catch (error) {
    const startup = error instanceof StartupError || error instanceof ConfigError;
    const message = error instanceof ConfigError ? `${error.message.split(':\n')[0]}: ${error.problems.join('; ')}` : (error as Error).message;
    await send({ type: 'vra:failed', message, startup });
    process.exit(2);
  }
  const reloader = reloadFrom
    ? new Reloader({ ...reloadFrom, config, running, logger, start: startServer, warnKept: false, fields: { worker: cluster.worker?.id } })
    : null;
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    void (reloader ?? running).close().then(
      ({ cut }) => process.exit(cut > 0 ? 1 : 0),
      () => process.exit(1),
    );
  };
  process.on('message', (message: PrimaryMessage) => {
    if (message?.type === 'vra:stop') close();
    else if (message?.type === 'vra:reload') void reloader?.reload(message.reason);
  });
  // The primary relays reloads; a hang-up sent to the whole process group must not end a worker.
  process.on('SIGHUP', () => {});
  // Ctrl-C reaches the whole process group: finish the requests in flight here too.
  process.once('SIGINT', close);
  process.once('SIGTERM', close);
  process.once('disconnect', close);
  await send({ type: 'vra:ready', details: running.details });
}
