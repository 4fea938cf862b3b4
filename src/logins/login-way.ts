/**
 * The ways a service checks a password (config `services[].logins`, default
 * `[kv]`), tried in order by the password grant:
 *
 * - `unknown`: this way does not know the name; the next way is asked;
 * - `refused`: the name is known here and the password is wrong; no other
 *   way is asked (a KV user's wrong password never becomes a directory login
 *   under the same name);
 * - `accepted`: logged in; what the login says about the user's groups and
 *   access comes along.
 *
 * A Vault auth method answers an unknown user and a wrong password alike, so
 * its failures are `unknown`; a CI login's fixed name is known, so its
 * failures are `refused`. Whatever way ends the chain, the client gets the
 * same 401.
 */
import type { AccessSource } from '../domain/grant.js';
import type { ServiceTarget } from '../domain/service.js';
import type { UserRecord } from '../users/user-store.js';

/** What a login through Vault adds to a user's rights. */
export interface LoginRights {
  /** The way that logged the user in, for logs, audit and explain: `ldap login`, `jwt login (role ci)`. */
  readonly via: string;
  /** Group names (their access strings are read from the service's `_groups/`). */
  readonly groups: readonly string[];
  /** Access that comes with the login itself (a CI role's template bound to the token's claims). */
  readonly access?: AccessSource;
  /** What could not be used, in words for the log (a claim that does not bind). */
  readonly problems: readonly string[];
}

export type LoginOutcome =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'refused' }
  /** `rights` is absent for a KV login: the KV entry is all there is. */
  | { readonly kind: 'accepted'; readonly rights?: LoginRights };

export const UNKNOWN: LoginOutcome = { kind: 'unknown' };
export const REFUSED: LoginOutcome = { kind: 'refused' };

export interface LoginWay {
  /** As in the config: `kv`, `vault_auth ldap`, `vault_jwt jwt`. */
  readonly name: string;
  /** `stored` is the service's KV entry for the name (read once for all ways), or null. */
  login(target: ServiceTarget, account: string, password: string, stored: UserRecord | null): Promise<LoginOutcome>;
}
