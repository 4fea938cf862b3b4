/**
 * The token decision, knowing nothing of HTTP: principal + service + scopes →
 * granted access (requested ∩ what the user, their groups, or the service's
 * anonymous access allow) → a signed token, and a refresh token when asked.
 */
import { formatSource } from '../domain/explain-format.js';
import { type AccessSource, decide } from '../domain/grant.js';
import type { ResourceScope } from '../domain/scope.js';
import type { ServiceTarget } from '../domain/service.js';
import { passwordKind } from '../passwords/formats.js';
import { userAccess } from '../users/access-sources.js';
import type { FlowDeps } from './deps.js';
import type { Principal } from './principal.js';
import { makeRefreshToken } from './refresh-tokens.js';

export interface TokenIssue {
  readonly principal: Principal;
  readonly target: ServiceTarget;
  readonly scopes: readonly ResourceScope[];
  /** A refresh token is wanted (GET offline_token=true, POST access_type=offline). */
  readonly offline: boolean;
}

export interface IssuedTokens {
  readonly token: string;
  readonly jti: string;
  readonly expiresIn: number;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly account: string;
  readonly granted: readonly ResourceScope[];
  readonly refreshToken?: string;
}

export async function issueToken(deps: FlowDeps, { principal, target, scopes, offline }: TokenIssue): Promise<IssuedTokens> {
  const account = principal.kind === 'user' ? principal.account : '';
  let sources: readonly AccessSource[];
  let problems: readonly string[] = [];
  if (principal.kind === 'user') ({ sources, problems } = await userAccess(deps.users, target.mount, principal.user, principal.login));
  else sources = [{ source: { kind: 'user' }, access: principal.access }];

  const decision = decide(scopes, sources, account);
  const ignored = decision.ignored.map((entry) => `${formatSource(entry.source)}'s entry ${JSON.stringify(entry.entry)} ignored: ${entry.reason}`);
  if (problems.length + ignored.length > 0) deps.onAccessProblems([...problems, ...ignored], { service: target.service, account });

  const issued = await deps.signer.sign({
    issuer: deps.issuer,
    subject: account,
    audience: target.service,
    access: decision.granted,
    expiresInSeconds: deps.expirationSeconds,
  });
  // A directory or CI login has no stored password to bind a refresh token
  // to: docker keeps the password (or the CI job its token) and asks again.
  const refreshToken =
    offline && principal.kind === 'user' && principal.login === undefined
      ? await refreshTokenFor(deps, target, principal, Math.floor(deps.clock.now() / 1000))
      : undefined;
  return {
    token: issued.token,
    jti: issued.jti,
    expiresIn: issued.expiresIn,
    issuedAt: issued.issuedAt,
    account,
    granted: decision.granted,
    ...(refreshToken ? { refreshToken } : {}),
  };
}

async function refreshTokenFor(
  deps: FlowDeps,
  target: ServiceTarget,
  principal: Principal & { kind: 'user' },
  nowSeconds: number,
): Promise<string | undefined> {
  if (passwordKind(principal.user.password) === 'plaintext') {
    deps.onPlaintextRefresh(target.service, principal.account);
    return undefined;
  }
  return makeRefreshToken(deps.refreshKeys, {
    issuer: deps.issuer,
    service: target.service,
    account: principal.account,
    storedPassword: principal.user.password,
    expiresInSeconds: deps.refreshExpirationSeconds,
    nowSeconds,
  });
}
