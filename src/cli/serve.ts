/**
 * `serve`: runs the token server with a config file, or with the embedded
 * default (no Vault needed) when none is given. It keeps running until
 * SIGINT or SIGTERM; a configuration or start-up problem exits with 2.
 */
import { ConfigError, loadConfigFile } from '../config/load.js';
import { CliError, type RegisterCommand, withConfigOption } from './program.js';

export const registerServe: RegisterCommand = (program, { io }) => {
  withConfigOption(program.command('serve').description('run the token server'), 'configuration file (YAML; Godoauth files work unchanged)').action(
    async ({ config: file }: { config: string }) => {
      // Loaded here: the other commands do without the HTTP server's modules.
      const { StartupError, startServer } = await import('../server.js');
      try {
        const running = await startServer(loadConfigFile(file, io.env));
        const stop = (): void => {
          void running.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        // Said as it is: a config error lists each problem on its own line.
        if (error instanceof ConfigError || error instanceof StartupError) throw new CliError(error.message, 2);
        throw error;
      }
    },
  );
};
