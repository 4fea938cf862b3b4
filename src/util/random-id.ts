/**
 * Unpredictable ids (a token's `jti`): 16 bytes from the operating system's
 * CSPRNG, base64url. The bytes are drawn 4 KiB at a time and each 16 used
 * once: `randomBytes(16)` per token is a system call per token, which the
 * benchmark measured at 8% of the token path's main-thread time. (Node's
 * `crypto.randomUUID` pools its entropy the same way.)
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomId(): string {
  if (offset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
