/**
 * The password grant: HTTP Basic on GET, `grant_type=password` on POST. An
 * unknown user and a wrong password get the same answer after the same
 * password work (the verifier checks unknown users against a dummy hash).
 */
import type { ServiceTarget } from '../../domain/service.js';
import { unauthorized } from '../../errors.js';
import type { FlowDeps } from '../deps.js';
import { findUser } from '../find-user.js';
import type { Principal } from '../principal.js';

export async function passwordGrant(deps: FlowDeps, target: ServiceTarget, username: string, password: string): Promise<Principal> {
  const user = await findUser(deps, target, username);
  const verified = await deps.verifier.verify({ service: target.service, account: username, stored: user?.password ?? null, given: password });
  if (!verified || !user) throw unauthorized('invalid username or password');
  return { kind: 'user', account: username, user };
}
