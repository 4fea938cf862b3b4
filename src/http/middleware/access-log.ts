/**
 * One line per request: method, path, status, duration, service, account
 * and the granted scopes. Never the query's secrets (there are none in a
 * GET realm request: credentials travel in the Authorization header, which
 * is not logged), never a token.
 */
import type { Next } from 'koa';
import type { Logger } from 'winston';
import { formatScope } from '../../domain/scope.js';
import type { AppContext } from '../context.js';

export function accessLog(logger: Logger) {
  return async function logRequest(ctx: AppContext, next: Next): Promise<void> {
    // Below info (log.level warn or error) winston would still build, redact
    // and serialise the line before its transports drop it: skip it all.
    if (!logger.isInfoEnabled()) return next();
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info('request', {
        request_id: ctx.state.requestId,
        client: ctx.state.client,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        duration_ms: Math.round(durationMs * 100) / 100,
        service: ctx.state.service,
        account: ctx.state.account,
        grant: ctx.state.grant,
        granted: ctx.state.granted?.map(formatScope),
      });
    }
  };
}
