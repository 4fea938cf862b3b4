/**
 * Writes a file so that a reader (a registry starting, an init container's
 * consumer) sees either the old content or the whole new one, never a part:
 * a temporary file in the same folder (so the rename stays on one file
 * system), synced, then renamed over the target — or, when the target must
 * not be replaced, linked to it, which fails if it exists. On any failure the
 * temporary file is removed: nothing is left behind.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a new file (0o600 for a private key). */
  readonly mode: number;
  /** Replace an existing file; otherwise an existing one fails with EEXIST. */
  readonly overwrite: boolean;
}

export async function writeFileAtomic(file: string, content: string | Uint8Array, { mode, overwrite }: AtomicWriteOptions): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse a file someone else put at the temporary name.
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) await rename(temporary, file);
    else await link(temporary, file);
  } finally {
    // After a rename the temporary name is gone already; after a link (or a
    // failure) it is removed here.
    await unlink(temporary).catch(() => {});
  }
}
