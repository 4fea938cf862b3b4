/**
 * GET /healthz and GET /readyz: Kubernetes' liveness and readiness probes.
 * Public (probes carry no credentials, and neither answer holds a secret),
 * JSON, never cached. Liveness checks nothing but that the process answers:
 * a Vault outage must not get every pod restarted. Readiness says whether a
 * token request can be answered now (src/observers/readiness.ts).
 */
import type Router from '@koa/router';
import type { Readiness } from '../../observers/readiness.js';
import type { AppContext, RequestState } from '../context.js';

export function registerHealthEndpoints(router: Router<RequestState>, readiness: Readiness): void {
  router.get('/healthz', (ctx: AppContext) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx: AppContext) => {
    const report = readiness();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = report.ready ? 200 : 503;
    ctx.body = { status: report.ready ? 'ready' : 'not ready', checks: report.checks };
  });
}
