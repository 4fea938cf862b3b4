/**
 * The wire to Vault: undici (Node's own HTTP client) over one keep-alive
 * connection pool, TLS as Vault's own CLI configures it (CA file or folder,
 * client certificate, server name), the namespace header, and a deadline on
 * every call. It answers with Vault's status and body, whatever they are;
 * only a failure to get an answer (network, TLS, deadline) is thrown, as
 * UNAVAILABLE with a clear reason. It knows nothing of tokens' lifecycles:
 * the caller passes the token.
 *
 * Why undici and not node-vault (the first transport): with users in Vault
 * and no cache, a Vault read is on every token request, and node-vault (a
 * template, a schema check and axios per call) cost 362 µs of CPU per read
 * where undici's pool costs 83 µs, measured against the same Vault; the
 * server only ever used node-vault's generic `request` anyway.
 */
import { buildConnector, Pool } from 'undici';
import { AppError, type AppErrorOptions, isAppError, unavailable } from '../errors.js';

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

/** Connections kept to Vault: as many as the token requests a worker serves at once (the benchmark drives 64). */
const CONNECTIONS = 64;
const RETRIED_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function createVaultTransport(options: VaultTransportOptions): VaultTransport {
  const tls = options.tls ?? {};
  const address = new URL(options.address);
  // A path in the address (a Vault behind a prefix) comes before /v1.
  const prefix = address.pathname.replace(/\/+$/u, '');
  const connector = buildConnector({
    timeout: options.timeoutMs,
    // rejectUnauthorized is always on: there is no switch that turns off
    // verification (VAULT_SKIP_VERIFY is refused when the config is read).
    rejectUnauthorized: true,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  });
  // A TLS 1.3 server that wants a client certificate refuses it after the
  // handshake: the socket reports why (certificate required), then undici
  // reports only "other side closed". The socket's own error is kept a
  // moment so the log can name the setting to fix.
  let socketFailure: { error: Error; at: number } | null = null;
  const pool = new Pool(address.origin, {
    connections: CONNECTIONS,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: (connectOptions, callback) =>
      connector(connectOptions, (error, socket) => {
        socket?.once('error', (failure: Error) => {
          socketFailure = { error: failure, at: Date.now() };
        });
        callback(error, socket as never);
      }),
  });
  const explained = (error: unknown): unknown => {
    if (errorCode(error) !== 'UND_ERR_SOCKET' || !socketFailure || Date.now() - socketFailure.at > 1_000) return error;
    return socketFailure.error;
  };

  return {
    async request(method, path, { token, body } = {}) {
      const headers: Record<string, string> = {};
      if (token) headers['x-vault-token'] = token;
      if (options.namespace) headers['x-vault-namespace'] = options.namespace;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const send = async (): Promise<VaultResponse> => {
        const answer = await pool.request({
          path: `${prefix}/v1/${path}`,
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await answer.body.text();
        return { status: answer.statusCode, body: parseBody(text) };
      };
      // A pooled keep-alive connection that Vault (or a proxy) closed while
      // idle fails the next request at once: a read is sent again, once, on a
      // new connection, within the same deadline.
      const call = send().catch((error: unknown) => {
        if (method === 'GET' && RETRIED_CODES.has(errorCode(error))) return send();
        throw error;
      });
      try {
        return await withDeadline(call, options.timeoutMs);
      } catch (error) {
        throw new VaultUnreachable(describeNetworkFailure(explained(error)), { cause: error });
      }
    },
    close() {
      void pool.destroy().catch(() => undefined);
    },
  };
}

/** Vault answers JSON, or nothing (204); anything else (a proxy's page) is kept as text. */
function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The error that says what went wrong: undici wraps some socket and TLS
 * errors in a `cause`, and its own codes (UND_ERR_…) say less than the
 * socket's.
 */
function withCode(error: unknown): { code?: unknown; message?: string } {
  const own = (error ?? {}) as { code?: unknown; message?: string; cause?: { code?: unknown; message?: string } };
  const cause = own.cause;
  if (typeof cause?.code === 'string' && (typeof own.code !== 'string' || own.code.startsWith('UND_ERR'))) return cause;
  return own;
}

function errorCode(error: unknown): string {
  const { code } = withCode(error);
  return typeof code === 'string' ? code : '';
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

/**
 * A whole piece of Vault work (mount detection, a login again, the read; a
 * user's login and its identity reads) within `ms`: an AppError passes as it
 * is, anything else (the deadline, a network error) becomes UNAVAILABLE
 * with `message`, so a slow Vault is a 503, never a hang.
 */
export async function withinVaultDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  try {
    return await withDeadline(work, ms);
  } catch (error) {
    if (isAppError(error)) throw error;
    throw unavailable(message, { cause: error });
  }
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
  const code = errorCode(error);
  if (code === 'DEADLINE' || code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code.endsWith('_TIMEOUT')) return 'Vault did not answer in time';
  if (TLS_TRUST_CODES.has(code)) {
    return `Vault's TLS certificate is not trusted (${code}): set VAULT_CACERT or storage.vault.tls.ca_cert to the CA that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's message names the host and the names the certificate holds.
    const detail = String(withCode(error).message ?? '')
      .replace(/\s+/gu, ' ')
      .slice(0, 300);
    return `Vault's TLS certificate does not name the host in storage.vault.addr (${code}: ${detail}): use a name it holds, or set VAULT_TLS_SERVER_NAME`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `Vault's TLS certificate has expired (${code})`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL') || /alert|handshake/iu.test(withCode(error).message ?? '')) {
    return `the TLS handshake with Vault failed (${code || 'handshake'}): check storage.vault.tls (a client certificate may be required)`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'Vault cannot be reached: the connection was cut';
  return `Vault cannot be reached${code ? ` (${code})` : ''}`;
}
