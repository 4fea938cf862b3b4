/**
 * The Koa application: the realm endpoint on each configured path, behind
 * the access log, the error handler and the query bound. Everything it
 * talks to is passed in, so tests can build it around any user store and
 * signer.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'winston';
import type { Config } from '../config/config.js';
import type { TokenSigner } from '../tokens/signer.js';
import type { PasswordVerifier } from '../passwords/verifier.js';
import { kvOnlyLogins } from '../logins/service-logins.js';
import type { LoginWay } from '../logins/login-way.js';
import type { UserStore } from '../users/user-store.js';
import { type Clock, systemClock } from '../util/clock.js';
import { limitedLog } from '../util/log-limiter.js';
import { onceEach } from '../util/report-once.js';
import type { RequestState } from './context.js';
import type { CredentialGuard, FlowDeps } from '../flow/deps.js';
import { tokenGet } from './endpoints/token-get.js';
import { tokenPost } from './endpoints/token-post.js';
import { registerKeyEndpoints } from './endpoints/keys.js'; // keys (issue 7): GET /certs, GET /jwks
import { accessLog } from './middleware/access-log.js';
import { boundQuery } from './middleware/bound-query.js';
import { errorHandler } from './middleware/error-handler.js';
import { errorShape } from './middleware/error-shape.js';
import { requestHeaders } from './middleware/request-headers.js';
import { decisionEvents } from './middleware/decision-events.js';
import { type ClientAddress, requestContext } from './middleware/request-context.js';
import { ServerEvents } from '../events.js';
import { registerHealthEndpoints } from './endpoints/health.js';
import { registerMetricsEndpoint } from './endpoints/metrics.js';
import { type RequestObserver, requestMetrics } from './middleware/request-metrics.js';
import type { MetricsSource } from '../observers/metrics.js';
import { type Readiness, readiness } from '../observers/readiness.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'token' | 'services' | 'anonymous' | 'http'>;
  readonly users: UserStore;
  readonly verifier: PasswordVerifier;
  /** The ways each service checks a password (src/logins/service-logins.ts); default: the KV entry's password only. */
  readonly logins?: (service: string) => readonly LoginWay[];
  readonly signer: TokenSigner;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Where token decisions are told (audit, metrics, throttling listen). */
  readonly events?: ServerEvents;
  /** How the client's address is found (default: the socket's). */
  readonly clientAddress?: ClientAddress;
  /** The throttling of password guessing, asked before credentials are checked (default: none). */
  readonly throttle?: CredentialGuard;
  /** What /readyz says (default: the signing key only). */
  readonly health?: Readiness;
  /** Prometheus metrics: every request timed, and /metrics when served on this port (default: none). */
  readonly metrics?: AppMetrics;
}

/** The metrics as the app sees them (src/observers/metrics-runtime.ts). */
export interface AppMetrics {
  readonly metrics: { observeRequest: RequestObserver };
  readonly source: MetricsSource;
  readonly onMainPort: boolean;
  readonly path: string;
}

export function createApp({
  config,
  users,
  verifier,
  logins,
  signer,
  logger,
  clock = systemClock,
  events = new ServerEvents(),
  clientAddress,
  throttle,
  health = readiness({ keySet: signer.keySet, vault: null, cache: { ttlMs: 0, staleMs: 0 }, clock }),
  metrics,
}: AppDependencies): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Errors are answered and logged by errorHandler; Koa's own printer would
  // repeat them on stderr.
  app.silent = true;

  // Log lines a client can cause are rate-limited: nobody writes our log at will.
  const limited = limitedLog(clock, (kind, count) => logger.warn('similar log lines suppressed', { kind, count }));
  type AccessProblem = { service: string; account: string; problem: string };
  const reportAccessProblem = onceEach<AccessProblem>(
    (found) => limited('access-problem', () => logger.warn("part of a user's rights cannot be used", found)),
    ({ service, account, problem }) => `${service}\u0000${account}\u0000${problem}`,
  );

  const reportPlaintextRefresh = onceEach<string>((key) => {
    const [service, account] = key.split('\u0000');
    logger.warn(`no refresh token for ${account} in ${service}: the password is stored in plaintext; hash it to let docker login keep an identity token`, {
      service,
      account,
    });
  });
  const flow: FlowDeps = {
    issuer: config.token.issuer,
    expirationSeconds: config.token.expirationSeconds,
    refreshExpirationSeconds: config.token.refreshExpirationSeconds,
    services: config.services,
    anonymous: config.anonymous,
    users,
    verifier,
    logins: logins ?? kvOnlyLogins(verifier),
    signer,
    refreshKeys: signer.keySet,
    clock,
    onAccessProblems: (problems, { service, account }) => {
      for (const problem of problems) reportAccessProblem({ service, account, problem });
    },
    onUnknownMount: (mount, configured) =>
      configured
        ? limited('configured-mount', () => logger.error('a configured service has no usable user store: answering 503 (see the start-up check)', { mount }))
        : limited('unknown-mount', () => logger.warn('a request named a service that is no user store; answered as bad credentials', { service: mount })),
    onPlaintextRefresh: (service, account) => reportPlaintextRefresh(`${service}\u0000${account}`),
    ...(throttle ? { guard: throttle } : {}),
  };

  const router = new Router<RequestState>();
  for (const path of config.http.realmPaths) {
    router.get(path, tokenGet(flow));
    router.post(path, tokenPost(flow));
  }

  // --- keys (issue 7, item 4): GET /certs and GET /jwks, public, from the signer's current key set ---
  registerKeyEndpoints(router, signer.keySet);
  // --- end keys ---
  // --- health and metrics (issue 9, items 1 and 2): GET /healthz, GET /readyz, GET /metrics (unless on metrics.addr) ---
  registerHealthEndpoints(router, health);
  if (metrics?.onMainPort) registerMetricsEndpoint(router, metrics.path, metrics.source);
  // Outermost: the status answered, the time of everything.
  if (metrics) app.use(requestMetrics(metrics.metrics.observeRequest));
  // --- end health and metrics ---

  app.use(requestContext(clientAddress));
  app.use(accessLog(logger));
  app.use(decisionEvents(events));
  app.use(errorHandler(logger));
  // Before anything that may refuse the request: a POST of the realm answers its errors in OAuth2's shape.
  app.use(errorShape((ctx) => ctx.method === 'POST' && router.match(ctx.path, 'POST').route));
  app.use(requestHeaders());
  app.use(boundQuery());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
