/**
 * Times every request, outermost, so the status is the one answered (after
 * the error handler) and the time covers all middleware.
 */
import type { Next } from 'koa';
import type { AppContext } from '../context.js';

export type RequestObserver = (path: string, method: string, status: number, seconds: number) => void;

export function requestMetrics(observe: RequestObserver) {
  return async function timeRequest(ctx: AppContext, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      observe(ctx.path, ctx.method, ctx.status, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
