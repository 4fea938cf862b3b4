/**
 * The log's view of the server's events: one line per transition (Vault
 * lost, Vault back, a login, a login that failed, a token about to expire,
 * a path the policy denies), never one per request.
 */
import type { Logger } from 'winston';
import type { ServerEvents } from '../events.js';

export function logEvents(events: ServerEvents, logger: Logger): void {
  events.on('vault.lost', ({ reason }) => logger.error('Vault lost: requests are answered from the cache (within the stale window) or with 503', { reason }));
  events.on('vault.back', ({ downForMs }) => logger.info('Vault back', { down_for_ms: downForMs }));
  events.on('vault.login', ({ method, ttlSeconds, renewable, again }) =>
    logger.info(again ? 'logged in to Vault again' : 'logged in to Vault', { method, ttl_seconds: ttlSeconds, renewable }),
  );
  events.on('vault.login_failed', ({ method, reason }) => logger.error('cannot log in to Vault: answering 503 until a login succeeds', { method, reason }));
  events.on('vault.token_expiring', ({ method, expiresAt, reason }) =>
    logger.warn(`the Vault token will expire at ${expiresAt} because ${reason}: give the server a renewable token, a token file, or use approle`, {
      method,
      expires_at: expiresAt,
    }),
  );
  events.on('throttle.redis_lost', ({ address, reason }) =>
    logger.error("the throttle's Redis is unreachable: failed logins are counted by each process alone until it is back", { address, reason }),
  );
  events.on('throttle.redis_back', ({ address, downForMs }) => logger.info("the throttle's Redis is back", { address, down_for_ms: downForMs }));
  events.on('vault.denied', ({ path, capability }) =>
    logger.error(`Vault denies ${capability} on ${path} to the server's token: add it to the policy (see config/vault-policy.hcl)`, { path, capability }),
  );
}
