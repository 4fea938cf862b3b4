/**
 * Hashing new passwords (the user CLI, the embedded default's first user):
 * argon2id with the library's defaults (OWASP's m=19 MiB, t=2, p=1), or
 * bcrypt at cost 10. Both run on libuv's thread pool, off the event loop.
 */
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import type { HashAlgorithm } from './formats.js';

export const BCRYPT_COST = 10;

export function hashPassword(password: string, algorithm: HashAlgorithm = 'argon2id'): Promise<string> {
  return algorithm === 'bcrypt' ? bcryptHash(password, BCRYPT_COST) : argon2Hash(password);
}
