/**
 * Turns every failure of a request into the JSON error answer of
 * error-response.ts. Errors raised by Koa or the router (404, 405, 501 for a
 * method nobody implements) get the same shape; an unknown method is a 405
 * with `Allow`, never a plain-text 501.
 *
 * Logging: an unexpected failure (500) is logged with its cause. Vault's
 * outages are not logged here, request after request: the Vault client
 * reports each transition once (Vault lost, Vault back).
 */
import type { Next } from 'koa';
import type { Logger } from 'winston';
import { AppError, type ErrorCode } from '../../errors.js';
import type { AppContext } from '../context.js';
import { dockerErrorAnswer, oauthErrorAnswer } from '../error-response.js';

const CODES_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  414: 'URI_TOO_LONG',
  501: 'METHOD_NOT_ALLOWED',
};

export function errorHandler(logger: Logger) {
  return async function handleErrors(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      // Nothing answered (404), or the router found the path but not the
      // method (405/501, with its Allow header already set): same JSON shape.
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new AppError('NOT_FOUND', 'no such endpoint');
        if (ctx.status === 405 || ctx.status === 501) throw new AppError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed here`);
      }
    } catch (thrown) {
      const error = toAppError(thrown);
      ctx.state.errorCode = error.code;
      if (error.code === 'INTERNAL') {
        logger.error(error.message, { code: error.code, path: ctx.path, cause: describeCause(error.cause ?? thrown) });
      }
      // The OAuth2 POST answers in OAuth2's shape; everything else in Docker's.
      const answer = ctx.state.errorShape === 'oauth' ? oauthErrorAnswer(error) : dockerErrorAnswer(error);
      const allow = ctx.response.get('Allow');
      ctx.status = answer.status;
      ctx.set(answer.headers);
      if (answer.status === 405 && !allow) ctx.set('Allow', 'HEAD, GET, POST');
      ctx.body = answer.body;
    }
  };
}

function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  const status = (thrown as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(CODES_BY_STATUS[status] ?? 'INVALID_REQUEST', (thrown as Error).message);
  }
  return new AppError('INTERNAL', (thrown as Error)?.message ?? 'unexpected failure', { cause: thrown });
}

/**
 * A cause reduced to its name, code and message. Never the object itself:
 * HTTP client errors carry the request, Vault token header included.
 */
export function describeCause(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return cause === undefined ? undefined : String(cause);
  const code = (cause as { code?: unknown }).code;
  return [cause.name, typeof code === 'string' ? code : undefined, cause.message].filter(Boolean).join(': ');
}
