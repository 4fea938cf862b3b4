/**
 * The one place errors become responses. An AppError keeps its status, code
 * and headers; a 4xx shows its message, a 5xx a generic one (the real cause
 * goes to the log, never to the client). Errors raised by Koa or the router
 * (404, 405) are mapped to the same JSON shape, which docker, containerd and
 * podman parse: {"errors":[{"code":..., "message":...}]}.
 */
import type { Next } from 'koa';
import type { Logger } from 'winston';
import { AppError, type ErrorCode } from '../../errors.js';
import type { AppContext } from '../context.js';

const GENERIC_MESSAGES: Readonly<Record<number, string>> = {
  503: 'the user store is unavailable, try again later',
};

const CODES_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  503: 'UNAVAILABLE',
};

export function errorHandler(logger: Logger) {
  return async function handleErrors(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      // Nothing answered (404), or the router found the path but not the
      // method (405, with its Allow header already set): same JSON shape.
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new AppError(404, 'NOT_FOUND', 'no such endpoint');
        if (ctx.status === 405) throw new AppError(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed here`);
      }
    } catch (thrown) {
      const error = toAppError(thrown);
      if (error.status >= 500) {
        logger.error(error.message, { code: error.code, path: ctx.path, cause: describeCause(error.cause ?? thrown) });
      }
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = {
        errors: [{ code: error.code, message: error.expose ? error.message : (GENERIC_MESSAGES[error.status] ?? 'internal server error') }],
      };
    }
  };
}

function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  const status = (thrown as { status?: unknown }).status;
  const headers = (thrown as { headers?: Record<string, string> }).headers;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODES_BY_STATUS[status] ?? 'INVALID_REQUEST';
    return new AppError(status, code, (thrown as Error).message, headers ? { headers } : {});
  }
  return new AppError(500, 'INTERNAL', (thrown as Error)?.message ?? 'unexpected failure', { cause: thrown });
}

/**
 * A cause reduced to its name, code and message. Never the object itself:
 * HTTP client errors carry the request, Vault token header included.
 */
function describeCause(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return cause === undefined ? undefined : String(cause);
  const code = (cause as { code?: unknown }).code;
  return [cause.name, typeof code === 'string' ? code : undefined, cause.message].filter(Boolean).join(': ');
}
