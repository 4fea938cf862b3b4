/**
 * Checks a given password against what is stored, in constant time with
 * respect to who exists:
 *
 * - bcrypt and argon2 hashes are verified by @node-rs on libuv's thread
 *   pool, off the event loop;
 * - plaintext (Godoauth's entries) is compared in constant time, and the
 *   caller is told once per user so it can say how to hash it;
 * - an unknown user (nothing stored) is verified against a dummy hash of the
 *   configured algorithm and cost, so it costs what a wrong password costs.
 *
 * A successful verification is remembered for the user cache's TTL under a
 * keyed hash (HMAC with a key made at start) of service, user, the given
 * password and the stored hash: nothing reusable sits in memory, a password
 * change (a new stored hash) misses at once, and a CI runner asking for 50
 * tokens a minute pays for one hash, not 50. Failures are never remembered.
 * Checks of the same password for the same user that arrive while one is
 * running share its result: 64 runners starting at once with one robot
 * account cost one hash, not 64 (each on a thread of a pool of 4). Unknown
 * users are shared the same way, so that neither path answers a burst of
 * identical guesses faster than the other.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { LRUCache } from 'lru-cache';
import { passwordMatches } from '../domain/password.js';
import type { Clock } from '../util/clock.js';
import { type HashAlgorithm, passwordKind } from './formats.js';
import { hashPassword } from './hash.js';

export interface VerifyInput {
  readonly service: string;
  readonly account: string;
  /** The stored password field; null when there is no such user. */
  readonly stored: string | null;
  readonly given: string;
}

export interface VerifierSettings {
  /** The algorithm of the dummy hash an unknown user is checked against. */
  readonly dummyAlgorithm: HashAlgorithm;
  /** How long a verified password is remembered (0: never). */
  readonly rememberMs: number;
  readonly maxRemembered: number;
  readonly clock: Clock;
  /** Called when a user's stored password is plaintext (the caller reports it once). */
  readonly onPlaintext: (service: string, account: string) => void;
}

export class PasswordVerifier {
  readonly #settings: VerifierSettings;
  readonly #dummy: string;
  readonly #key = randomBytes(32);
  readonly #remembered: LRUCache<string, number> | null;
  readonly #running = new Map<string, Promise<boolean>>();

  private constructor(settings: VerifierSettings, dummy: string) {
    this.#settings = settings;
    this.#dummy = dummy;
    this.#remembered = settings.rememberMs > 0 ? new LRUCache({ max: settings.maxRemembered }) : null;
  }

  static async create(settings: VerifierSettings): Promise<PasswordVerifier> {
    return new PasswordVerifier(settings, await hashPassword(randomBytes(24).toString('base64'), settings.dummyAlgorithm));
  }

  /** How many verified passwords are remembered now (for tests and, later, metrics). */
  get remembered(): number {
    return this.#remembered?.size ?? 0;
  }

  /** How many distinct checks are running now (concurrent identical checks count once). */
  get running(): number {
    return this.#running.size;
  }

  async verify({ service, account, stored, given }: VerifyInput): Promise<boolean> {
    if (stored !== null && passwordKind(stored) === 'plaintext') {
      this.#settings.onPlaintext(service, account);
      return passwordMatches(stored, given);
    }
    // Unknown users take the same steps as known ones (the keyed hash, the
    // sharing of a running check): only the hash they are checked against differs.
    const key = createHmac('sha256', this.#key)
      .update(`${service}\0${account}\0${stored === null ? '-' : `+${stored}`}\0${given}`)
      .digest('base64');
    const until = stored === null ? undefined : this.#remembered?.get(key);
    if (until !== undefined && this.#settings.clock.now() < until) return true;
    const running = this.#running.get(key);
    if (running) return running;
    const check = (stored === null ? checkHash(this.#dummy, given).then(() => false) : checkHash(stored, given))
      .then((ok) => {
        if (ok) this.#remembered?.set(key, this.#settings.clock.now() + this.#settings.rememberMs);
        return ok;
      })
      .finally(() => this.#running.delete(key));
    this.#running.set(key, check);
    return check;
  }
}

/** Verifies against a bcrypt or argon2 hash; a hash the library cannot read is a mismatch. */
async function checkHash(hash: string, given: string): Promise<boolean> {
  try {
    return passwordKind(hash) === 'bcrypt' ? await bcryptVerify(given, hash) : await argon2Verify(hash, given);
  } catch {
    return false;
  }
}
