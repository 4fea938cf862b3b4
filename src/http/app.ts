/**
 * The Koa application: the realm endpoint on each configured path, behind
 * the access log and the error handler. Everything it talks to is passed in,
 * so tests can build it around any user store and signer.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'winston';
import type { Config } from '../config/config.js';
import type { TokenSigner } from '../tokens/signer.js';
import type { UserStore } from '../users/user-store.js';
import type { RequestState } from './context.js';
import { tokenEndpoint } from './endpoints/token.js';
import { accessLog } from './middleware/access-log.js';
import { errorHandler } from './middleware/error-handler.js';
import { onceEach } from '../util/report-once.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'token' | 'services' | 'http'>;
  readonly users: UserStore;
  readonly signer: TokenSigner;
  readonly logger: Logger;
}

export function createApp({ config, users, signer, logger }: AppDependencies): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Errors are answered and logged by errorHandler; Koa's own printer would
  // repeat them on stderr.
  app.silent = true;

  type BadEntry = { service: string; account: string; entry: string };
  const reportInvalidAccess = onceEach<BadEntry>(
    (bad) => logger.warn('ignoring an access entry that does not parse', bad),
    ({ service, account, entry }) => `${service}\u0000${account}\u0000${entry}`,
  );

  const router = new Router<RequestState>();
  const token = tokenEndpoint({
    issuer: config.token.issuer,
    expirationSeconds: config.token.expirationSeconds,
    services: config.services,
    users,
    signer,
    onInvalidAccess: (entries, { service, account }) => {
      for (const entry of entries) reportInvalidAccess({ service, account, entry });
    },
  });
  for (const path of config.http.realmPaths) router.get(path, ...token);

  app.use(accessLog(logger));
  app.use(errorHandler(logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
