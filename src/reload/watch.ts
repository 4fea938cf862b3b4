/**
 * Watches the config file and the key files for changes. The folders are
 * watched, not the files: editors and `keys rotate` replace a file by
 * renaming a new one over it, which a watch on the old file would miss.
 * Events come in bursts (truncate, write, rename): a change is acted on once
 * the folder has been quiet for `debounceMs`, and only when the files'
 * contents differ from what was last seen (a touch or a no-op save reloads
 * nothing).
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface FileWatch {
  /** Watch these files from now on (a reload may name other key files); their current contents count as seen. */
  watch(files: readonly string[]): Promise<void>;
  /** The files' contents now count as seen: a reload is about to read them (a SIGHUP after an edit reloads once, not twice). */
  markSeen(): Promise<void>;
  close(): void;
}

export async function watchFiles(files: readonly string[], onChange: () => void, { debounceMs = 250 } = {}): Promise<FileWatch> {
  let watchers: FSWatcher[] = [];
  let current: readonly string[] = [];
  let seen = '';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const fire = async (): Promise<void> => {
    const now = await fingerprint(current);
    if (closed || now === seen) return;
    seen = now;
    onChange();
  };
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void fire(), debounceMs);
    timer.unref();
  };

  const handle: FileWatch = {
    async watch(next) {
      for (const watcher of watchers) watcher.close();
      current = [...next];
      seen = await fingerprint(current);
      const byFolder = new Map<string, Set<string>>();
      for (const file of current) {
        const folder = path.dirname(file);
        byFolder.set(folder, (byFolder.get(folder) ?? new Set()).add(path.basename(file)));
      }
      watchers = [];
      for (const [folder, names] of byFolder) {
        try {
          const watcher = watch(folder, { persistent: false }, (_event, name) => {
            if (name === null || names.has(name.toString())) changed();
          });
          // A folder removed while watched: nothing more to watch there; SIGHUP still works.
          watcher.on('error', () => watcher.close());
          watchers.push(watcher);
        } catch {
          // A folder that does not exist (yet): the reload that names it will have refused.
        }
      }
    },
    async markSeen() {
      seen = await fingerprint(current);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
  await handle.watch(files);
  return handle;
}

/** A digest of the files' contents; a missing file counts as empty-and-missing, so its return is a change. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    try {
      hash.update(await readFile(file));
    } catch (error) {
      hash.update(`missing:${(error as NodeJS.ErrnoException).code ?? ''}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}
