/**
 * Which shape this request's errors take, decided once, before anything can
 * fail: OAuth2's for a POST that the router sends to a realm path (the
 * OAuth2 token endpoint), Docker's for everything else. Decided here rather
 * than in the endpoint, so that a POST refused before the endpoint runs (a
 * query string too long, a missing Host) answers as every POST of the realm
 * does.
 */
import type { Next } from 'koa';
import type { AppContext } from '../context.js';

/** Whether the request is a POST of the realm: the router's own matching (case, trailing slash), not a copy of it. */
export type IsTokenPost = (ctx: AppContext) => boolean;

export function errorShape(isTokenPost: IsTokenPost) {
  return async function decideErrorShape(ctx: AppContext, next: Next): Promise<void> {
    ctx.state.errorShape = isTokenPost(ctx) ? 'oauth' : 'docker';
    await next();
  };
}
