/**
 * The password grant: HTTP Basic on GET, `grant_type=password` on POST. The
 * service's ways of checking a password (`services[].logins`, default
 * `[kv]`) are tried in order (src/logins/login-way.ts): a name unknown to one
 * way is passed to the next, a wrong password stops. An unknown user and a
 * wrong password get the same answer; within the KV way, after the same
 * password work (the verifier checks unknown users against a dummy hash).
 * While the throttle blocks the attempt, it is refused before any of that.
 */
import type { ServiceTarget } from '../../domain/service.js';
import { unauthorized } from '../../errors.js';
import type { FlowDeps } from '../deps.js';
import { findUser } from '../find-user.js';
import type { Principal } from '../principal.js';
import { logIn } from '../../logins/login-chain.js';

export async function passwordGrant(deps: FlowDeps, target: ServiceTarget, username: string, password: string, client: string): Promise<Principal> {
  // The throttle's check (an IPC or Redis round trip in a cluster or across
  // replicas) runs alongside the user lookup, which every request makes
  // anyway: a good login waits for the slower of the two, not for both. The
  // password is checked only once the check passed: a blocked attempt
  // spends no hash and no directory login.
  const [stored] = await Promise.all([findUser(deps, target, username), deps.guard?.check({ client, service: target.service, account: username })]);
  const loggedIn = await logIn(deps.logins(target.service), { target, account: username, password, stored });
  if (loggedIn) return { kind: 'user', account: username, ...loggedIn };
  throw unauthorized('invalid username or password');
}
