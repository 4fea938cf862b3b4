/**
 * `serve`: runs the token server with a config file, or with the embedded
 * default (no Vault needed) when none is given. It keeps running until
 * SIGINT or SIGTERM; a configuration or start-up problem exits with 2.
 * With `http.workers` > 1 (the default `auto`: one per core) this process
 * is the primary and forks the workers that serve (src/cluster.ts).
 */
import cluster from 'node:cluster';
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
        await runWorker(config as ReturnType<typeof loadConfigFile>, startServer, failure);
        return;
      }
      try {
        const config = loadConfigFile(file, io.env);
        let stop: () => Promise<number>;
        if (config.workers <= 1) {
          const running = await startServer(config);
          stop = () => running.close().then(() => 0);
        } else {
          const [{ prepareFirstStart }, { startPrimary }, { createLogger }] = await Promise.all([
            import('../server.js'),
            import('../cluster.js'),
            import('../logger.js'),
          ]);
          const logger = createLogger(config.log);
          await prepareFirstStart(config, { logger });
          const running = await startPrimary(config, { configFile: file, logger, env: { ...io.env } });
          stop = () => running.stop();
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
