/** Runs `vault-registry-auth serve` as a child process, as an operator would. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './net.js';
import { startDaemon, type Daemon } from './process.js';

/** dist/src/cli.js, from this file at dist/test/helpers/cli.js. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js');

export interface ServeProcess {
  readonly daemon: Daemon;
  /** The URL from the `listening` log line. */
  readonly url: string;
}

export async function serve(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const daemon = startDaemon(process.execPath, [CLI, 'serve', '--config', configFile], env);
  let url = '';
  try {
    await waitFor(
      'vault-registry-auth',
      async () => {
        const line = daemon
          .output()
          .split('\n')
          .find((l) => l.includes('"message":"listening"'));
        if (line) url = (JSON.parse(line) as { url: string }).url;
        if (daemon.child.exitCode !== null) throw new Error(`exited with ${daemon.child.exitCode}`);
        return url !== '';
      },
      15_000,
    );
  } catch (error) {
    await daemon.stop();
    throw new Error(`${(error as Error).message}\n${daemon.output()}`);
  }
  return { daemon, url };
}
