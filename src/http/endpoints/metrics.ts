/**
 * GET /metrics (metrics.path) on the main port: the Prometheus text of this
 * process, or, in a worker, the sum over all workers (the source decides).
 * Public, like Prometheus expects; no label holds a user name or anything
 * secret. Served here only when metrics.addr does not give it a port of its own.
 */
import type Router from '@koa/router';
import type { MetricsSource } from '../../observers/metrics.js';
import type { AppContext, RequestState } from '../context.js';

export function registerMetricsEndpoint(router: Router<RequestState>, path: string, source: MetricsSource): void {
  router.get(path, async (ctx: AppContext) => {
    const text = await source.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = source.contentType;
    ctx.body = text;
  });
}
