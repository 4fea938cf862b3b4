/**
 * The key set from files, read once at start-up: `token.key` and
 * `token.certificate` (the active key, as Godoauth configures it) and each
 * file of `token.published`. A rotation step changes these files and
 * restarts the server (replica by replica). Every problem names its key.
 */
import { readFile } from 'node:fs/promises';
import type { KeyIdFormat } from '../domain/key-id.js';
import { type OpenKeySet, publishedKeysFromPem, staticKeySet, type VerificationKey } from './key-set.js';
import { signingKeyFromPem } from './signing-key.js';

export interface KeyFiles {
  readonly key: string;
  readonly certificate: string;
  readonly published: readonly string[];
}

/** A key file that cannot be used; the message names the setting and the file. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

export async function loadKeyFiles(files: KeyFiles, kidFormat: KeyIdFormat): Promise<OpenKeySet> {
  let active: ReturnType<typeof signingKeyFromPem>;
  try {
    const [keyPem, certificatePem] = await Promise.all([readFile(files.key, 'utf8'), readFile(files.certificate, 'utf8')]);
    active = signingKeyFromPem(keyPem, certificatePem, kidFormat);
  } catch (error) {
    throw new KeyFileError(`token.key and token.certificate (${files.key}, ${files.certificate}): ${describe(error)}`);
  }
  const published: VerificationKey[] = [];
  for (const [index, file] of files.published.entries()) {
    try {
      published.push(...publishedKeysFromPem(await readFile(file, 'utf8'), kidFormat));
    } catch (error) {
      throw new KeyFileError(`token.published.${index} (${file}): ${describe(error)}`);
    }
  }
  return staticKeySet(active, published);
}

function describe(error: unknown): string {
  const { code, path: file } = error as NodeJS.ErrnoException;
  return code === 'ENOENT' ? `no such file: ${file}` : (error as Error).message;
}
