/**
 * The wire to Vault: node-vault over one keep-alive connection pool, TLS as
 * Vault's own CLI configures it (CA file or folder, client certificate, server
 * name), the namespace header, and a deadline on every call. It answers with
 * Vault's status and body, whatever they are; only a failure to get an answer
 * (network, TLS, deadline) is thrown, as UNAVAILABLE with a clear reason.
 * It knows nothing of tokens' lifecycles: the caller passes the token.
 */
import http from 'node:http';
import https from 'node:https';
import nodeVault from 'node-vault';
import { AppError, type AppErrorOptions } from '../errors.js';

export interface VaultTls {
  /** PEM CA certificates to trust instead of the system's (VAULT_CACERT / VAULT_CAPATH). */
  readonly ca?: string | undefined;
  /** PEM client certificate and key, for mTLS (VAULT_CLIENT_CERT / VAULT_CLIENT_KEY). */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The name to check Vault's certificate against (VAULT_TLS_SERVER_NAME). */
  readonly serverName?: string | undefined;
}

export interface VaultTransportOptions {
  readonly address: string;
  readonly timeoutMs: number;
  readonly namespace?: string | undefined;
  readonly tls?: VaultTls;
}

export interface VaultResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface VaultTransport {
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: { token?: string; body?: unknown }): Promise<VaultResponse>;
  close(): void;
}

const RETRIED_CODES = new Set(['ECONNRESET', 'EPIPE']);

export function createVaultTransport(options: VaultTransportOptions): VaultTransport {
  const tls = options.tls ?? {};
  const pool = { keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: options.timeoutMs };
  const httpAgent = new http.Agent(pool);
  // rejectUnauthorized is always on: there is no switch that turns off
  // verification (VAULT_SKIP_VERIFY is refused when the config is read).
  const httpsAgent = new https.Agent({
    ...pool,
    rejectUnauthorized: true,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  });
  const vault = nodeVault({
    endpoint: options.address,
    // node-vault would read VAULT_TOKEN, VAULT_NAMESPACE and VAULT_SKIP_VERIFY
    // from the environment by itself; everything is passed explicitly here.
    rpDefaults: { strictSSL: true },
    requestOptions: { httpAgent, httpsAgent, timeout: options.timeoutMs },
    // Its debug output would print request bodies (secret ids, JWTs).
    debug: () => {},
  } as Parameters<typeof nodeVault>[0]);
  vault.token = '';
  (vault as { namespace?: string | undefined }).namespace = options.namespace || undefined;

  return {
    async request(method, path, { token, body } = {}) {
      const headers: Record<string, string> = {};
      if (token) headers['X-Vault-Token'] = token;
      const send = () =>
        vault.request({ path: `/${path}`, method, headers, httpAgent, httpsAgent, timeout: options.timeoutMs, ...(body === undefined ? {} : { json: body }) });
      // A pooled keep-alive connection that Vault (or a proxy) closed while
      // idle fails the next request at once: a read is sent again, once, on a
      // new connection, within the same deadline.
      const call = send().catch((error: unknown) => {
        if (method === 'GET' && RETRIED_CODES.has(String((error as { code?: unknown }).code))) return send();
        throw error;
      });
      try {
        const answer: unknown = await withDeadline(call, options.timeoutMs);
        return { status: 200, body: answer };
      } catch (error) {
        const response = (error as { response?: { statusCode?: unknown; body?: unknown } }).response;
        if (typeof response?.statusCode === 'number') return { status: response.statusCode, body: response.body };
        throw new VaultUnreachable(describeNetworkFailure(error), { cause: error });
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** No answer came from Vault at all (network, TLS, deadline): an outage, not a refusal. */
export class VaultUnreachable extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
}

class DeadlineError extends Error {
  readonly code = 'DEADLINE';
}

/** Settles like `promise`, or rejects when `ms` pass first: Vault never hangs a request. */
export function withDeadline<T>(promise: Promise<T>, ms: number, message = `no answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Why no answer came, in words an operator can act on. */
export function describeNetworkFailure(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code === 'DEADLINE' || code === 'ECONNABORTED' || code === 'ETIMEDOUT') return 'Vault did not answer in time';
  if (TLS_TRUST_CODES.has(code)) {
    return `Vault's TLS certificate is not trusted (${code}): set VAULT_CACERT or storage.vault.tls.ca_cert to the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's message names the host and the names the certificate holds.
    const detail = String((error as Error).message ?? '')
      .replace(/\s+/gu, ' ')
      .slice(0, 300);
    return `Vault's TLS certificate does not name the host in storage.vault.addr (${code}: ${detail}): use a name it holds, or set VAULT_TLS_SERVER_NAME`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `Vault's TLS certificate has expired (${code})`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL') || /alert|handshake/iu.test((error as Error)?.message ?? '')) {
    return `the TLS handshake with Vault failed (${code || 'handshake'}): check storage.vault.tls (a client certificate may be required)`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'Vault cannot be reached: the connection was cut';
  return `Vault cannot be reached${code ? ` (${code})` : ''}`;
}
