/**
 * Runs a service's ways of checking a password in order (see login-way.ts):
 * the first that accepts decides, a refusal ends the chain, an unknown name
 * is passed on. The password grant and `explain --password-stdin` both call
 * this, so explain logs in exactly as the server does.
 */
import type { ServiceTarget } from '../domain/service.js';
import type { UserRecord } from '../users/user-store.js';
import type { LoginRights, LoginWay } from './login-way.js';

/** A user known only to a directory: no entry of their own, so no rights but their groups'. */
export const NO_ENTRY: UserRecord = { password: '', access: '', groups: [] };

export interface LoggedIn {
  /** The KV entry (for a login through Vault, the entry if any, else NO_ENTRY). */
  readonly user: UserRecord;
  /** What a login through Vault added; absent for a KV login. */
  readonly login?: LoginRights;
}

export async function logIn(
  ways: readonly LoginWay[],
  attempt: { target: ServiceTarget; account: string; password: string; stored: UserRecord | null },
): Promise<LoggedIn | null> {
  const { target, account, password, stored } = attempt;
  for (const way of ways) {
    const outcome = await way.login(target, account, password, stored);
    if (outcome.kind === 'unknown') continue;
    if (outcome.kind === 'refused') return null;
    if (outcome.rights !== undefined) return { user: stored ?? NO_ENTRY, login: outcome.rights };
    // Only a way that read the KV entry accepts without rights of its own.
    return stored === null ? null : { user: stored };
  }
  return null;
}
