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

export class KvLogin implements LoginWay {
  readonly name = 'kv';
  readonly #verifier: PasswordVerifier;
  readonly #last: boolean;
  readonly #onlyPassedOn: ReadonlySet<string> | undefined;

  /**
   * `onlyPassedOn`: when only CI logins follow, their user names: the only
   * names without a KV password that are passed on.
   */
  constructor(verifier: PasswordVerifier, { last, onlyPassedOn }: { last: boolean; onlyPassedOn?: ReadonlySet<string> }) {
    this.#verifier = verifier;
    this.#last = last;
    this.#onlyPassedOn = onlyPassedOn;
  }

  async login(target: ServiceTarget, account: string, password: string, stored: UserRecord | null): Promise<LoginOutcome> {
    const hash = stored !== null && stored.password !== '' ? stored.password : null;
    const last = this.#last || (this.#onlyPassedOn !== undefined && !this.#onlyPassedOn.has(account));
    if (hash === null && !last) return UNKNOWN;
    const verified = await this.#verifier.verify({ service: target.service, account, stored: hash, given: password });
    return verified && hash !== null ? ACCEPTED : REFUSED;
  }
}
