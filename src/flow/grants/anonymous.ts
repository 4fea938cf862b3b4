/**
 * Requests without credentials. A service may grant anonymous access (for
 * example public pulls of `library/**`) in its config entry
 * (`services[].anonymous`) or at `<mount>/_anonymous` (field `access`); the
 * two are united. None by default: then such a request gets a 401 asking for
 * credentials, as before. Wrong credentials are never downgraded to this.
 */
import type { ServiceTarget } from '../../domain/service.js';
import { isAppError, unauthorized } from '../../errors.js';
import type { FlowDeps } from '../deps.js';
import type { Principal } from '../principal.js';

export async function anonymousGrant(deps: FlowDeps, target: ServiceTarget): Promise<Principal> {
  const configured = deps.anonymous.get(target.service);
  let stored: string | null = null;
  try {
    stored = (await deps.users.lookupAnonymous(target.mount))?.access ?? null;
  } catch (error) {
    // Not a user store: nothing anonymous there (and nothing to tell apart).
    if (!isAppError(error, 'UNKNOWN_SERVICE')) throw error;
  }
  const access = [configured, stored].filter((text): text is string => typeof text === 'string' && text.trim() !== '').join(';');
  if (access === '') throw unauthorized('authentication required: send HTTP Basic credentials');
  return { kind: 'anonymous', access };
}
