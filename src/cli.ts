#!/usr/bin/env node
/**
 * The `vault-registry-auth` command. `serve` runs the token server with a
 * config file, or with the embedded default (no Vault needed) when none is
 * given.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError, loadConfigFile } from './config/load.js';
import { startServer, StartupError } from './server.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CONFIG = path.join(packageRoot, 'config', 'default.yml');

const program = new Command()
  .name('vault-registry-auth')
  .description('A token server for Docker registries, with users and rights kept in HashiCorp Vault')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the token server')
  .option('-c, --config <file>', 'configuration file (YAML; Godoauth files work unchanged)', DEFAULT_CONFIG)
  .action(async ({ config: file }: { config: string }) => {
    try {
      const config = loadConfigFile(file);
      const running = await startServer(config);
      const stop = (): void => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (error) {
      if (error instanceof ConfigError || error instanceof StartupError) {
        process.stderr.write(`vault-registry-auth: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
  });

await program.parseAsync(process.argv);
