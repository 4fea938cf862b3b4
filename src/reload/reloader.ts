/**
 * Reload in one process (`http.workers: 1`, or inside each worker): a new
 * Koa app is built from the new config — new keys, a new user store with a
 * fresh cache, a new password verifier, a new Vault client — on the server
 * that already listens, and the server's request listener is swapped from
 * the old app's to the new one's in one tick. The listening socket never
 * closes, so no connection is refused; requests already taken finish on the
 * old app, whose stores and Vault client are closed once they have ended.
 *
 * Anything that fails before the swap (invalid config, a key that does not
 * load, a Vault login that fails for a changed Vault config) refuses the
 * reload with one log line, and the old app keeps serving.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'winston';
import type { Config } from '../config/config.js';
import type { ConfigEnv } from '../config/load.js';
import type { RunningServer, StartOptions } from '../server.js';
import type { DrainResult } from './shutdown.js';
import { describeProblem, validateReload } from './validate.js';

export interface ReloaderOptions {
  readonly configFile: string;
  readonly env: ConfigEnv;
  /** The configuration the running app was started with. */
  readonly config: Config;
  readonly running: RunningServer;
  readonly logger: Logger;
  readonly start: (config: Config, options: StartOptions) => Promise<RunningServer>;
  /** Say which restart-only settings were kept (a worker leaves that to its primary, which says it once). */
  readonly warnKept: boolean;
  /** Extra fields of the `reloaded` line (a worker's id). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export class Reloader {
  readonly #options: ReloaderOptions;
  #config: Config;
  #running: RunningServer;
  /** Reloads run one after the other; a trigger while one waits to run joins it. */
  #tail: Promise<unknown> = Promise.resolve();
  #queued: Promise<Config | null> | null = null;
  #closed = false;

  constructor(options: ReloaderOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#running = options.running;
  }

  get config(): Config {
    return this.#config;
  }

  /** Resolves to the configuration now in use, or null when the reload was refused. */
  reload(reason: string): Promise<Config | null> {
    if (this.#queued) return this.#queued;
    const run = this.#tail.then(() => {
      this.#queued = null;
      return this.#reloadOnce(reason);
    });
    this.#queued = run;
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for a reload under way, then stops the server gracefully (see RunningServer.close). */
  async close(): Promise<DrainResult> {
    this.#closed = true;
    await this.#tail;
    return this.#running.close();
  }

  async #reloadOnce(reason: string): Promise<Config | null> {
    const { configFile, env, logger, start, warnKept, fields } = this.#options;
    if (this.#closed) return null;
    const refuse = (problem: string): null => {
      logger.error(`reload refused, the running configuration keeps serving: ${problem}`, { reason });
      return null;
    };
    const checked = await validateReload(configFile, env, this.#config);
    if (!checked.ok) return refuse(checked.problem);
    const { config, kept } = checked;
    const old = this.#running;
    let next: RunningServer;
    try {
      next = await start(config, {
        logger,
        server: old.server,
        listening: { message: 'reloaded', fields: { reason, ...fields } },
        // The same Vault config logged in before; a changed one must prove it can.
        requireVaultLogin: config.storage.kind === 'vault' && !isDeepStrictEqual(config.storage, this.#config.storage),
      });
    } catch (error) {
      return refuse(describeProblem(error));
    }
    if (this.#closed) {
      void next.release();
      return null;
    }
    // One tick: every request from here on, on new and kept-alive connections alike, reaches the new app.
    old.server.removeListener('request', old.listener);
    old.server.on('request', next.listener);
    this.#running = next;
    this.#config = config;
    if (warnKept && kept.length > 0) {
      logger.warn(`reload: ${kept.join(', ')} changed but take a restart: the running values are kept`, { kept });
    }
    old.release().catch((error: unknown) => logger.error('closing the previous configuration failed', { error: describeProblem(error) }));
    return config;
  }
}
