/**
 * GET on the realm path: the Docker registry token endpoint, a thin adapter
 * around the token flow (src/flow/). Credentials are HTTP Basic: a user name
 * and password (the password grant), an empty user name and a refresh token
 * as the password (containerd's fallback), or none (anonymous, where the
 * service allows it). `offline_token=true` asks for a refresh token.
 */
import type { Middleware } from 'koa';
import { parseBasicAuth } from '../../domain/basic-auth.js';
import { AppError, invalidRequest, isAppError, unauthorized } from '../../errors.js';
import type { FlowDeps } from '../../flow/deps.js';
import { anonymousGrant } from '../../flow/grants/anonymous.js';
import { passwordGrant } from '../../flow/grants/password.js';
import { refreshTokenGrant } from '../../flow/grants/refresh-token.js';
import { issueToken } from '../../flow/issue.js';
import type { Principal } from '../../flow/principal.js';
import { readTokenRequest, single } from '../../flow/token-request.js';
import type { RequestState } from '../context.js';
import { noStore, rfc3339 } from './token-response.js';

/** On GET, every bad credential gets the one answer, refresh tokens included. */
function asBadCredentials(error: unknown): never {
  throw isAppError(error, 'UNAUTHORIZED') ? unauthorized('invalid username or password') : error;
}

export function tokenGet(deps: FlowDeps): Middleware<RequestState> {
  return async (ctx) => {
    ctx.state.decision = true;
    const get = (name: string): readonly string[] => [ctx.query[name] ?? []].flat();
    const request = readTokenRequest(get, deps.services);
    ctx.state.service = request.target.service;
    ctx.state.requested = request.scopes;

    // Node keeps the first of several Authorization headers; a proxy in front
    // may have checked another: credentials that disagree are no credentials.
    if ((ctx.req.headersDistinct.authorization?.length ?? 0) > 1) throw invalidRequest('the Authorization header must be given once');
    const authorization = ctx.get('Authorization');
    let principal: Principal;
    if (authorization === '') {
      ctx.state.grant = 'anonymous';
      principal = await anonymousGrant(deps, request.target);
    } else {
      const credentials = parseBasicAuth(authorization);
      if (!credentials) throw unauthorized('authentication required: send HTTP Basic credentials');
      ctx.state.grant = credentials.username === '' ? 'refresh_token' : 'password';
      if (credentials.username !== '') ctx.state.attempted = credentials.username;
      principal =
        credentials.username === ''
          ? await refreshTokenGrant(deps, request.target, credentials.password, ctx.state.client).catch(asBadCredentials)
          : await passwordGrant(deps, request.target, credentials.username, credentials.password, ctx.state.client);
    }
    // `account` is only a hint from the client; it may never differ from
    // the user who authenticated (that is how Dockit let users escalate).
    if (request.account !== undefined && (principal.kind !== 'user' || request.account !== principal.account)) {
      throw new AppError('ACCOUNT_MISMATCH', 'the account parameter does not match the authenticated user');
    }

    const offline = single(get, 'offline_token') === 'true';
    if (principal.kind === 'user' && principal.login) ctx.state.login = principal.login.via;
    const issued = await issueToken(deps, { principal, target: request.target, scopes: request.scopes, offline });
    ctx.state.account = issued.account;
    ctx.state.granted = issued.granted;
    ctx.state.token = { jti: issued.jti, expiresAt: issued.issuedAt + issued.expiresIn };
    noStore(ctx);
    ctx.body = {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: rfc3339(issued.issuedAt),
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
    };
  };
}
