/**
 * First start of the embedded default: when the user file does not exist,
 * create it with one `admin` user and a random password, stored hashed. There are no
 * default credentials; the password is returned once for the caller to show.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import type { HashAlgorithm } from '../passwords/formats.js';
import { hashPassword } from '../passwords/hash.js';

export const BOOTSTRAP_ACCESS = 'registry:catalog:*;repository:demo/app:*';

export async function createUserFileIfMissing(
  file: string,
  service: string,
  algorithm: HashAlgorithm = 'argon2id',
): Promise<{ username: string; password: string } | null> {
  if (existsSync(file)) return null;
  const password = randomBytes(18).toString('base64url');
  // Stored hashed: the password exists only in the one message to the operator.
  const users = { [service]: { admin: { password: await hashPassword(password, algorithm), access: BOOTSTRAP_ACCESS } } };
  const header = '# Users of the embedded default: service → user → password, access.\n# Edits take effect on the next request.\n';
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // 'wx' fails when the file exists: never overwrite anyone's users.
    await writeFile(file, header + yaml.dump(users, { lineWidth: -1 }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  return { username: 'admin', password };
}
