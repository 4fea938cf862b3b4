/**
 * The checks a new configuration passes before anything is swapped: the
 * file is read and validated as at start-up (ConfigError), and key files
 * are loaded (a key that does not load is refused). Done once by a cluster's
 * primary before it tells the workers, and by the process itself otherwise.
 */
import type { Config } from '../config/config.js';
import { type ConfigEnv, ConfigError, loadConfigFile } from '../config/load.js';
import { loadKeyFiles } from '../tokens/key-files.js';
import { keepRestartOnly, withoutKeyGeneration } from './restart-only.js';

export type Validation = { readonly ok: true; readonly config: Config; readonly kept: readonly string[] } | { readonly ok: false; readonly problem: string };

export async function validateReload(configFile: string, env: ConfigEnv, running: Config): Promise<Validation> {
  let next: Config;
  try {
    next = withoutKeyGeneration(loadConfigFile(configFile, env));
    if (next.token.keys.from === 'files') (await loadKeyFiles(next.token.keys, next.token.kid)).close();
  } catch (error) {
    return { ok: false, problem: describeProblem(error) };
  }
  const { config, kept } = keepRestartOnly(running, next);
  return { ok: true, config, kept };
}

/** One line: a config error's problems joined, else the error's message (they name the key). */
export function describeProblem(error: unknown): string {
  if (error instanceof ConfigError) return `${error.message.split(':\n')[0]}: ${error.problems.join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}
