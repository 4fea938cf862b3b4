/**
 * The first middleware: gives the request its id and the client's address.
 *
 * The id is the client's (or its proxy's) `X-Request-Id` when it looks like
 * an id (letters, digits, `.`, `_`, `-`, at most 64), so one id follows a
 * request through the proxy's log and ours; otherwise a new random one. It
 * is echoed in the answer.
 */
import type { Next } from 'koa';
import { randomId } from '../../util/random-id.js';
import type { AppContext } from '../context.js';

const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/u;

/** How the client's address is found: the socket's, or through trusted proxies. */
export type ClientAddress = (ctx: AppContext) => string;

export const socketAddress: ClientAddress = (ctx) => ctx.req.socket.remoteAddress ?? '';

export function requestContext(clientAddress: ClientAddress = socketAddress) {
  return async function setRequestContext(ctx: AppContext, next: Next): Promise<void> {
    const given = ctx.get('X-Request-Id');
    ctx.state.requestId = SANE_ID.test(given) ? given : randomId();
    ctx.state.client = clientAddress(ctx);
    ctx.set('X-Request-Id', ctx.state.requestId);
    await next();
  };
}
