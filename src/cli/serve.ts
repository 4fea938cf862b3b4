/**
 * `serve`: runs the token server with a config file, or with the embedded
 * default (no Vault needed) when none is given. It keeps running until
 * SIGINT or SIGTERM; a configuration or start-up problem exits with 2.
 * SIGTERM/SIGINT finish the requests in flight within http.shutdown_timeout
 * (exit 0), or cut them after it (exit 1). SIGHUP (`kill -HUP <pid>`) and a
 * change to the config file or the key files reload without dropping a
 * request (src/reload/).
 * With `http.workers` > 1 (the default `auto`: one per core) this process
 * is the primary and forks the workers that serve (src/cluster.ts).
 */
import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { CliError, type RegisterCommand, withConfigOption } from './program.js';

export const registerServe: RegisterCommand = (program, { io }) => {
  withConfigOption(program.command('serve').description('run the token server'), 'configuration file (YAML; Godoauth files work unchanged)').action(
    async ({ config: file }: { config: string }) => {
      // Loaded here: the other commands do without the HTTP server's modules.
      const { StartupError, startServer } = await import('../server.js');
      if (cluster.isWorker) {
        // Forked by the primary below: failures go back to it, not to stderr.
        const { runWorker } = await import('../cluster.js');
        let config: ReturnType<typeof loadConfigFile> | undefined;
        let failure: unknown;
        try {
          config = loadConfigFile(file, io.env);
        } catch (error) {
          failure = error;
        }
        await runWorker(config as ReturnType<typeof loadConfigFile>, startServer, failure, { configFile: file, env: io.env });
        return;
      }
      try {
        const config = loadConfigFile(file, io.env);
        // What was loaded: an edit before the file watch begins still reloads (src/reload/triggers.ts).
        const loadedText = await readFile(file, 'utf8').catch(() => undefined);
        let stop: () => Promise<number>;
        const { onReloadTriggers } = await import('../reload/triggers.js');
        if (config.workers <= 1) {
          const [{ Reloader }, { createLogger }] = await Promise.all([import('../reload/reloader.js'), import('../logger.js')]);
          const logger = createLogger(config.log);
          // The pid in the ready line: `kill -HUP <pid>` reloads, `kill <pid>` stops.
          const running = await startServer(config, { logger, listening: { message: 'listening', fields: { pid: process.pid } } });
          const reloader = new Reloader({ configFile: file, env: io.env, config, running, logger, start: startServer, warnKept: true });
          const triggers = await onReloadTriggers(file, config, (reason) => reloader.reload(reason), loadedText);
          stop = () => {
            triggers.close();
            return reloader.close().then(({ cut }) => (cut > 0 ? 1 : 0));
          };
        } else {
          const [{ prepareFirstStart }, { startPrimary }, { createLogger }] = await Promise.all([
            import('../server.js'),
            import('../cluster.js'),
            import('../logger.js'),
          ]);
          const logger = createLogger(config.log);
          await prepareFirstStart(config, { logger });
          const running = await startPrimary(config, { configFile: file, logger, env: { ...io.env } });
          const triggers = await onReloadTriggers(file, config, (reason) => running.reload(reason), loadedText);
          stop = () => {
            triggers.close();
            return running.stop();
          };
        }
        const onSignal = (): void => {
          void stop().then((code) => process.exit(code));
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      } catch (error) {
        // Said as it is: a config error lists each problem on its own line.
        if (error instanceof ConfigError || error instanceof StartupError) throw new CliError(error.message, 2);
        throw error;
      }
    },
  );
};
