/**
 * A transport that tells of each call it makes (`vault.call`: operation,
 * duration, outcome), for the metrics. A decorator rather than a flag in the
 * transport: the wire stays about the wire. Only the kind of call is told,
 * never its path (a path may hold a user name) and never its token.
 */
import type { ServerEvents, VaultCall } from '../events.js';
import type { VaultTransport } from './transport.js';

export function timedTransport(inner: VaultTransport, events: ServerEvents): VaultTransport {
  return {
    async request(method, path, options) {
      const started = process.hrtime.bigint();
      const operation = vaultOperation(method, path);
      const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e6;
      let response: Awaited<ReturnType<VaultTransport['request']>>;
      try {
        response = await inner.request(method, path, options);
      } catch (error) {
        events.emit('vault.call', { operation, durationMs: elapsed(), outcome: 'error' });
        throw error;
      }
      events.emit('vault.call', { operation, durationMs: elapsed(), outcome: vaultOutcome(response.status), status: response.status });
      return response;
    },
    close() {
      inner.close();
    },
  };
}

/** The kind of a call, from its method and path: a bounded label. */
export function vaultOperation(method: string, path: string): VaultCall['operation'] {
  if (path === 'auth/token/renew-self') return 'renew';
  if (path === 'auth/token/lookup-self') return 'lookup';
  if (path.startsWith('auth/') && path.endsWith('/login')) return 'login';
  if (method === 'GET') return 'read';
  if (method === 'POST' || method === 'PUT' || method === 'DELETE') return 'write';
  return 'other';
}

/** As the client reads Vault's statuses: 2xx answered, 403 denied, 400/404/405 missing, the rest (5xx, sealed, standby, 429) an error. */
export function vaultOutcome(status: number): VaultCall['outcome'] {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 403) return 'denied';
  if (status === 400 || status === 404 || status === 405) return 'missing';
  return 'error';
}
