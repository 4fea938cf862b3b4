/**
 * Password checks that take the same time whatever the input: both sides are
 * hashed to a fixed length before a constant-time comparison, so neither the
 * length nor the first differing byte can be measured. An unknown user is
 * checked against a dummy password, so it costs what a wrong password costs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const DUMMY_PASSWORD = randomBytes(32).toString('base64');

export function passwordMatches(stored: string | null, given: string): boolean {
  const expected = digest(stored ?? DUMMY_PASSWORD);
  const equal = timingSafeEqual(expected, digest(given));
  return stored !== null && equal;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
