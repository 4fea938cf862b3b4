/**
 * What starts a reload: SIGHUP (`kill -HUP <pid>`), and a change to the
 * config file or to the key files it names. After each reload the watch
 * follows the files the configuration in use names.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { watchedFiles } from './restart-only.js';
import { type FileWatch, watchFiles } from './watch.js';

export type ReloadReason = 'SIGHUP' | 'file change';

export interface ReloadTriggers {
  close(): void;
}

/**
 * `loadedText`: the config file as it was read at start. The watch begins
 * once the server listens; an edit made in between (a deploy script writing
 * the file as soon as the ready line appears) is not lost: it is compared
 * with what was loaded, and reloads.
 */
export async function onReloadTriggers(
  configFile: string,
  config: Config,
  reload: (reason: ReloadReason) => Promise<Config | null>,
  loadedText?: string,
): Promise<ReloadTriggers> {
  let current = config;
  let watch: FileWatch | null = null;
  const run = async (reason: ReloadReason): Promise<void> => {
    // What the reload reads counts as seen: the watch's own event for the
    // edit that came with a SIGHUP does not reload a second time.
    await watch?.markSeen();
    const now = await reload(reason);
    // Refused: the same files stay watched, and the refused contents are not
    // tried again until they change.
    if (!now) return;
    const before = watchedFiles(configFile, current);
    const after = watchedFiles(configFile, now);
    current = now;
    if (after.join('\0') !== before.join('\0')) await watch?.watch(after);
  };
  watch = await watchFiles(watchedFiles(configFile, config), () => void run('file change'));
  const onHangUp = (): void => void run('SIGHUP');
  process.on('SIGHUP', onHangUp);
  if (loadedText !== undefined && (await readFile(configFile, 'utf8').catch(() => null)) !== loadedText) void run('file change');
  return {
    close() {
      process.off('SIGHUP', onHangUp);
      watch?.close();
    },
  };
}
