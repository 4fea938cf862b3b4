/**
 * The one Vault client of the server, made at start-up and passed to all
 * that reads Vault (users now; groups and keys later). It puts together the
 * transport (connection pool, TLS, deadline), the session (login, renewal)
 * and a circuit breaker, and tells apart Vault's answers:
 *
 * - 200: found; 404 (and 400/405 on a path that cannot exist): missing;
 * - 403: either our token is bad (expired, revoked) — then it logs in again
 *   and retries once, and if that fails the caller gets UNAVAILABLE, never a
 *   "no such user" — or the token is fine and its policy does not allow the
 *   path: `denied`, for the caller to report;
 * - sealed, standby, 5xx, unreachable, too slow: UNAVAILABLE, and after a
 *   few in a row the breaker answers at once until Vault may be back.
 *
 * Vault lost / Vault back are emitted once per outage.
 */
import { type AppError, isAppError, unavailable } from '../errors.js';
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';
import { type BreakerSettings, CircuitBreaker } from './breaker.js';
import type { VaultSession } from './session.js';
import type { VaultResponse, VaultTransport } from './transport.js';

export type VaultRead =
  | { readonly kind: 'found'; readonly body: unknown }
  | { readonly kind: 'missing'; readonly status: number }
  | { readonly kind: 'denied' };

export interface VaultClient {
  /** GET /v1/<path>, classified. Throws UNAVAILABLE when Vault cannot answer. */
  read(path: string): Promise<VaultRead>;
  /** Any call with the server's token (403 for a bad token handled as in read). */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<VaultResponse>;
  /**
   * A login to an auth method on a user's behalf (`auth/ldap/login/alice`):
   * sent without the server's token, through the breaker. Vault unavailable
   * (sealed, 502-504, unreachable): UNAVAILABLE; any other answer, a 500
   * included, is returned for the caller to read (only a 200 with an auth
   * block is a login).
   */
  login(path: string, body: unknown): Promise<VaultResponse>;
  /** Revokes a token a user's login gave us (`auth/token/revoke-self` with that token); never throws. */
  revokeSelf(token: string): Promise<boolean>;
  /** Logs in now, so that start-up reports a bad login at once; never throws. */
  start(): Promise<void>;
  close(): void;
}

// Statuses that mean "Vault cannot serve this now", not "the answer is no".
const UNAVAILABLE_STATUSES = new Set([412, 429, 472, 473]);
const MISSING_STATUSES = new Set([400, 404, 405]);

export function createVaultClient(parts: {
  transport: VaultTransport;
  session: VaultSession;
  breaker: BreakerSettings;
  clock: Clock;
  events: ServerEvents;
}): VaultClient {
  const { transport, session, clock, events } = parts;
  /** Revocations of users' login tokens under way (see close()). */
  const revoking = new Set<Promise<boolean>>();
  const breaker = new CircuitBreaker(parts.breaker, clock);
  let lostAt: number | null = null;

  const answered = (): void => {
    breaker.succeeded();
    if (lostAt !== null) {
      events.emit('vault.back', { downForMs: clock.now() - lostAt });
      lostAt = null;
    }
  };
  const failed = (error: AppError): void => {
    breaker.failed();
    if (lostAt === null) {
      lostAt = clock.now();
      events.emit('vault.lost', { reason: error.message });
    }
  };

  /** Vault cannot serve this now (5xx, sealed, standby, rate limited): UNAVAILABLE. */
  function checkAvailable(response: VaultResponse): VaultResponse {
    if (response.status >= 500 || UNAVAILABLE_STATUSES.has(response.status)) {
      throw unavailable(response.status === 503 ? 'Vault is sealed or unavailable' : `Vault answered with status ${response.status}`);
    }
    return response;
  }

  async function once(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token: string, body: unknown): Promise<VaultResponse> {
    return checkAvailable(await transport.request(method, path, { token, ...(body === undefined ? {} : { body }) }));
  }

  async function guarded(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body: unknown): Promise<{ response: VaultResponse; denied: boolean }> {
    const admission = breaker.admit();
    if (!admission.allowed) {
      throw unavailable('Vault is unavailable (circuit breaker open)', { retryAfterSeconds: admission.retryAfterMs / 1000 });
    }
    try {
      let token = await session.token();
      let response = await once(method, path, token, body);
      let denied = false;
      if (response.status === 403) {
        if (await session.accepts(token)) {
          denied = true;
        } else {
          token = await session.replace(token);
          response = await once(method, path, token, body);
          denied = response.status === 403;
        }
      }
      answered();
      return { response, denied };
    } catch (error) {
      const appError = isAppError(error) ? error : unavailable(String(error), { cause: error });
      if (appError.code === 'UNAVAILABLE') failed(appError);
      throw appError;
    }
  }

  return {
    async read(path) {
      const { response, denied } = await guarded('GET', path, undefined);
      if (denied) return { kind: 'denied' };
      if (response.status === 200) return { kind: 'found', body: response.body };
      if (MISSING_STATUSES.has(response.status) || response.status === 403) return { kind: 'missing', status: response.status };
      throw unavailable(`Vault answered with status ${response.status}`);
    },
    async call(method, path, body) {
      return (await guarded(method, path, body)).response;
    },
    async login(path, body) {
      const admission = breaker.admit();
      if (!admission.allowed) throw unavailable('Vault is unavailable (circuit breaker open)', { retryAfterSeconds: admission.retryAfterMs / 1000 });
      try {
        // A 500 is the caller's to read: userpass answers a wrong password
        // with 500 "invalid username or password", which is no outage.
        const response = await transport.request('POST', path, { body });
        if (response.status !== 500) checkAvailable(response);
        answered();
        return response;
      } catch (error) {
        const appError = isAppError(error) ? error : unavailable(String(error), { cause: error });
        if (appError.code === 'UNAVAILABLE') failed(appError);
        throw appError;
      }
    },
    revokeSelf(token) {
      const revocation = transport.request('POST', 'auth/token/revoke-self', { token }).then(
        (response) => response.status === 204,
        () => false,
      );
      revoking.add(revocation);
      void revocation.finally(() => revoking.delete(revocation));
      return revocation;
    },
    async start() {
      try {
        await session.token();
        answered();
      } catch (error) {
        // Reported through the events; the server starts anyway and tries
        // again on the first request (Vault may come up after us).
        failed(isAppError(error) ? error : unavailable(String(error)));
      }
    },
    close() {
      session.close();
      // Closing destroys the connections: a user's login token still being
      // revoked (explain exits right after its login) would stay alive for
      // its whole TTL. Each revocation has the call's deadline, so this waits
      // a bounded time.
      void Promise.allSettled([...revoking]).then(() => transport.close());
    },
  };
}
