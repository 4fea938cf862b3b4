/**
 * POST on the realm path: the OAuth2 token endpoint of the registry token
 * protocol, a thin adapter around the token flow. A form body (with or
 * without `; charset=utf-8`), at most 16 KiB and 128 fields; `grant_type`
 * is `password` (username, password) or `refresh_token`; `client_id` is
 * required; `access_type=offline` asks for a refresh token; `scope` is
 * space-separated or repeated. Errors answer in OAuth2's shape.
 */
import type { Middleware } from 'koa';
import type { Readable } from 'node:stream';
import getRawBody from 'raw-body';
import { formatScope } from '../../domain/scope.js';
import { AppError, invalidRequest } from '../../errors.js';
import type { FlowDeps } from '../../flow/deps.js';
import { passwordGrant } from '../../flow/grants/password.js';
import { refreshTokenGrant } from '../../flow/grants/refresh-token.js';
import { issueToken } from '../../flow/issue.js';
import type { Principal } from '../../flow/principal.js';
import { type Parameters, readTokenRequest, single } from '../../flow/token-request.js';
import type { RequestState } from '../context.js';
import { hasTooManyParameters, MAX_QUERY_PARAMETERS } from '../middleware/bound-query.js';
import { noStore, rfc3339 } from './token-response.js';

export const MAX_FORM_BYTES = 16 * 1024;
const FORM = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/iu;

export function tokenPost(deps: FlowDeps): Middleware<RequestState> {
  return async (ctx) => {
    // Errors answer in OAuth2's shape: src/http/middleware/error-shape.ts decides it for this route.
    ctx.state.decision = true;
    const get = await readForm(ctx.req, ctx.get('Content-Type'), ctx.get('Content-Length'));
    const request = readTokenRequest(get, deps.services);
    ctx.state.service = request.target.service;
    ctx.state.requested = request.scopes;
    if (!single(get, 'client_id')) throw invalidRequest('client_id is required');

    const grantType = single(get, 'grant_type');
    let principal: Principal;
    let refreshToken: string | undefined;
    if (grantType === 'password' || grantType === 'refresh_token') ctx.state.grant = grantType;
    if (grantType === 'password') {
      const username = required(get, 'username');
      ctx.state.attempted = username;
      principal = await passwordGrant(deps, request.target, username, required(get, 'password'), ctx.state.client);
    } else if (grantType === 'refresh_token') {
      refreshToken = required(get, 'refresh_token');
      principal = await refreshTokenGrant(deps, request.target, refreshToken, ctx.state.client);
    } else if (grantType === undefined || grantType === '') {
      throw invalidRequest('grant_type is required');
    } else {
      throw new AppError('UNSUPPORTED_GRANT_TYPE', `unsupported grant_type ${JSON.stringify(grantType.slice(0, 64))}: use password or refresh_token`);
    }

    // A refresh grant answers with the same refresh token, never a new one:
    // the docker engine does not save a rotated one (moby#39718).
    const offline = grantType === 'password' && single(get, 'access_type') === 'offline';
    if (principal.kind === 'user' && principal.login) ctx.state.login = principal.login.via;
    const issued = await issueToken(deps, { principal, target: request.target, scopes: request.scopes, offline });
    ctx.state.account = issued.account;
    ctx.state.granted = issued.granted;
    ctx.state.token = { jti: issued.jti, expiresAt: issued.issuedAt + issued.expiresIn };
    noStore(ctx);
    const refresh = issued.refreshToken ?? refreshToken;
    ctx.body = {
      access_token: issued.token,
      scope: issued.granted.map(formatScope).join(' '),
      expires_in: issued.expiresIn,
      issued_at: rfc3339(issued.issuedAt),
      ...(refresh ? { refresh_token: refresh } : {}),
    };
  };
}

function required(get: Parameters, name: string): string {
  const value = single(get, name);
  if (value === undefined || value === '') throw invalidRequest(`${name} is required`);
  return value;
}

/** The form's fields, bounded in size and count before anything parses them. */
async function readForm(stream: NodeJS.ReadableStream, contentType: string, contentLength: string): Promise<Parameters> {
  if (!FORM.test(contentType)) throw invalidRequest('the body must be application/x-www-form-urlencoded');
  let text: string;
  try {
    text = await getRawBody(stream as Readable, {
      limit: MAX_FORM_BYTES,
      encoding: 'utf8',
      ...(contentLength ? { length: contentLength } : {}),
    });
  } catch (error) {
    const type = (error as { type?: unknown }).type;
    throw invalidRequest(type === 'entity.too.large' ? `the body is larger than ${MAX_FORM_BYTES} bytes` : 'the body could not be read');
  }
  if (hasTooManyParameters(text)) throw invalidRequest(`the body has more than ${MAX_QUERY_PARAMETERS} fields`);
  const form = new URLSearchParams(text);
  return (name) => form.getAll(name);
}
