/**
 * What HTTP/1.1 asks of a request's header section and Node leaves to us,
 * answered in the JSON of the request's endpoint rather than in Node's
 * empty plain answers:
 *
 * - one Host header (RFC 9112, 3.2: a 400 when an HTTP/1.1 request has none,
 *   or any request has more than one). Node's own check (requireHostHeader,
 *   turned off in src/server.ts) answers an empty 400, and of several Host
 *   headers it silently keeps the first;
 * - no expectation but 100-continue (RFC 9110, 10.1.1: a 417). Node answers
 *   the others with an empty 417 unless someone listens; src/server.ts
 *   hands those requests to the app instead.
 */
import type { Next } from 'koa';
import { AppError, invalidRequest } from '../../errors.js';
import type { AppContext } from '../context.js';

export function requestHeaders() {
  return async function checkHeaders(ctx: AppContext, next: Next): Promise<void> {
    const { req } = ctx;
    const hosts = req.headersDistinct.host?.length ?? 0;
    if (hosts > 1) throw invalidRequest('the Host header must be given once');
    if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) throw invalidRequest('an HTTP/1.1 request needs a Host header');
    const expect = req.headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
      throw new AppError('EXPECTATION_FAILED', 'the only expectation served is 100-continue');
    }
    await next();
  };
}
