/**
 * The refresh-token grant: `grant_type=refresh_token` on POST (docker with an
 * identity token, crane, skopeo, oras), and containerd's fallback, HTTP Basic
 * with an empty user name and the refresh token as the password. The token
 * must be ours, unexpired, for this service, and issued against the password
 * the user has now; the user's current rights are read again.
 */
import type { ServiceTarget } from '../../domain/service.js';
import { unauthorized } from '../../errors.js';
import type { FlowDeps } from '../deps.js';
import { findUser } from '../find-user.js';
import type { Principal } from '../principal.js';
import { fingerprintMatches, readRefreshToken } from '../refresh-tokens.js';

export async function refreshTokenGrant(deps: FlowDeps, target: ServiceTarget, refreshToken: string, client: string): Promise<Principal> {
  // Bad refresh tokens count against the client's address (the account in an
  // unverified token is anyone's word); checked alongside the verification.
  const [claims] = await Promise.all([
    readRefreshToken(deps.refreshKeys, refreshToken, { issuer: deps.issuer, nowSeconds: Math.floor(deps.clock.now() / 1000) }),
    deps.guard?.check({ client, service: target.service }),
  ]);
  const user = claims && claims.service === target.service ? await findUser(deps, target, claims.account) : null;
  // An entry without a password (a directory user's rights) never had a refresh token.
  if (!claims || !user || user.password === '' || !fingerprintMatches(claims, user.password))
    throw unauthorized('invalid or expired refresh token: log in again');
  return { kind: 'user', account: claims.account, user };
}
