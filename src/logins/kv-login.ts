/**
 * `kv`: the password field of the user's KV entry (or of the embedded user
 * file), checked by the password verifier.
 *
 * An entry without a password (a directory user's rights only) is not a KV
 * login. When no way follows, an unknown name is checked against the dummy
 * hash, so it costs what a wrong password costs; when a Vault way follows,
 * that way's own work stands in for it. CI logins know only their fixed
 * names (`ci`) and do no work for any other: behind them alone, every other
 * name is treated as if kv were last, else an unknown name would be answered
 * without a hash and the time of the answer would tell which names exist.
 */
import type { ServiceTarget } from '../domain/service.js';
import type { PasswordVerifier } from '../passwords/verifier.js';
import type { UserRecord } from '../users/user-store.js';
import { type LoginOutcome, type LoginWay, REFUSED, UNKNOWN } from './login-way.js';

const ACCEPTED: LoginOutcome = { kind: 'accepted' };

export type PassesOn = 'every' | ReadonlySet<string>;
/** kv last (or alone): nothing is passed on. */
export const PASSES_NONE: PassesOn = new Set<string>();

export class KvLogin implements LoginWay {
  readonly name = 'kv';
  readonly #verifier: PasswordVerifier;
  readonly #passesOn: PassesOn;

  /**
   * `passesOn`: which names without a KV password go to the next way:
   * `every` (a directory follows), the CI names when only CI logins follow,
   * none when kv is last.
   */
  constructor(verifier: PasswordVerifier, passesOn: PassesOn) {
    this.#verifier = verifier;
    this.#passesOn = passesOn;
  }

  async login(target: ServiceTarget, account: string, password: string, stored: UserRecord | null): Promise<LoginOutcome> {
    const hash = stored !== null && stored.password !== '' ? stored.password : null;
    if (hash === null && (this.#passesOn === 'every' || this.#passesOn.has(account))) return UNKNOWN;
    const verified = await this.#verifier.verify({ service: target.service, account, stored: hash, given: password });
    return verified && hash !== null ? ACCEPTED : REFUSED;
  }
}
