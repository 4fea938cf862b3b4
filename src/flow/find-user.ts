/**
 * The user an authentication names, as the grants look them up. A name that
 * cannot be a storage key, or that starts with `_` (the server's own places),
 * is nobody. Without a services list, a service that is no user store is
 * answered like an unknown user, so an unauthenticated client cannot tell
 * mounts apart; with a list, a listed service without a user store is the
 * server's misconfiguration (503), never the user's fault.
 */
import { checkPathSegment, isReservedName } from '../domain/names.js';
import type { ServiceTarget } from '../domain/service.js';
import { isAppError, unavailable } from '../errors.js';
import type { UserRecord } from '../users/user-store.js';
import type { FlowDeps } from './deps.js';

export async function findUser(deps: FlowDeps, target: ServiceTarget, account: string): Promise<UserRecord | null> {
  if (!checkPathSegment(account).ok || isReservedName(account)) return null;
  try {
    return await deps.users.lookup(target.mount, account);
  } catch (error) {
    if (!isAppError(error, 'UNKNOWN_SERVICE')) throw error;
    deps.onUnknownMount(target.mount, deps.services !== null);
    if (deps.services !== null) throw unavailable(`the configured service ${target.service} has no user store at ${target.mount}`);
    return null;
  }
}
