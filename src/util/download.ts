/**
 * One bounded GET for `certs fetch`. TLS is always verified — against the
 * system's CAs, or only against `ca` when given (a private CA) — and there
 * is no way to turn that off: what is downloaded becomes a registry's trust
 * anchor. Plain http is allowed to loopback only (a sidecar in the same
 * pod), where nobody can sit in between. No redirects are followed, the
 * body is capped, and the whole exchange has a deadline.
 */
import http from 'node:http';
import https from 'node:https';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  /**
   * Whether trying again may succeed: the server is not up yet, or overloaded,
   * or the network dropped the connection. An untrusted certificate, a 404 or
   * an oversized answer will not change by waiting.
   */
  readonly retryable: boolean;
  constructor(message: string, retryable = false) {
    super(message);
    this.retryable = retryable;
  }
}

/**
 * Connection failures that may pass: refused or reset (the server is not up
 * yet), no route, a name that does not resolve yet (a new pod's DNS entry).
 * A TLS protocol error, say, will not.
 */
const PASSING_NETWORK_ERROR = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Statuses a server answers while it starts, restarts or is overloaded. */
const PASSING_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export interface DownloadOptions {
  /** PEM CA certificate(s) to trust instead of the system's. */
  readonly ca?: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly accept: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/u;

// Node's codes for a certificate that does not verify: the fix is --ca (or a proper certificate).
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Throws DownloadError for a URL it will not use; call before any connection. */
export function checkDownloadUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DownloadError(`not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new DownloadError(`plain http is refused for ${url.host}: the keys a registry trusts must come over https (http is allowed to loopback only)`);
  }
  throw new DownloadError(`unsupported URL scheme ${url.protocol} (use https)`);
}

export function download(url: URL, options: DownloadOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, retryable = false): void => {
      request.destroy();
      reject(new DownloadError(message, retryable));
    };
    const requestOptions = { headers: { Accept: options.accept }, timeout: options.timeoutMs, ...(options.ca ? { ca: options.ca } : {}) };
    const request = (url.protocol === 'https:' ? https : http).get(url, requestOptions, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        response.resume();
        fail(`${url.href} answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''} (expected 200)`, PASSING_STATUS.has(status));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail(`${url.href} sent more than ${options.maxBytes} bytes: not a key bundle`);
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', (error) => fail(`${url.href}: ${error.message}`, true));
    });
    const deadline = setTimeout(() => fail(`${url.href} did not answer within ${options.timeoutMs} ms`, true), options.timeoutMs);
    request.on('close', () => clearTimeout(deadline));
    request.on('timeout', () => fail(`${url.href} did not answer within ${options.timeoutMs} ms`, true));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (UNTRUSTED.has(code)) fail(`${url.href}: the server's TLS certificate is not trusted (${code}): pass the CA that signed it with --ca`);
      else fail(`cannot fetch ${url.href}: ${code || error.message}`, PASSING_NETWORK_ERROR.has(code));
    });
  });
}
