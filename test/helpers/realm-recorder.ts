/**
 * What registry clients send to the realm. A reverse proxy between the
 * clients and our server records each token request: method, path, content
 * type, query and form fields, the Authorization scheme and user, and the
 * status our server answered; never a password or a token (those fields are
 * kept as their length only). Our access log says which method, status and
 * account each request had, but not the grant type: the form does.
 *
 * Point the registry's realm at `http://localhost:<port>/auth`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './token-server.js';

/** What a client sent to the realm, secrets left out. */
export interface RealmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly contentType: string | undefined;
  readonly form: Record<string, string[]> | undefined;
  /** `Basic <user>` (`Basic ` for an empty user name), another scheme alone, or undefined. */
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
  status: number;
}

const SECRET_FIELDS = new Set(['password', 'refresh_token', 'token', 'access_token', 'client_secret']);

function fields(params: URLSearchParams): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [key, value] of params) {
    const shown = SECRET_FIELDS.has(key) ? `<${value.length} chars>` : value;
    found[key] = [...(found[key] ?? []), shown];
  }
  return found;
}

function describeAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.split(' ');
  if (scheme.toLowerCase() !== 'basic') return scheme;
  const user = Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return `Basic ${user}`;
}

export class RealmRecorder {
  readonly port: number;
  readonly #log: { requests: RealmRequest[] };
  readonly #server: http.Server;

  private constructor(server: http.Server, port: number, log: { requests: RealmRequest[] }) {
    this.#server = server;
    this.port = port;
    this.#log = log;
  }

  /** A recorder on a free loopback port, passing every request on to `target`. */
  static async start(target: URL): Promise<RealmRecorder> {
    const log = { requests: [] as RealmRequest[] };
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(request.url ?? '/', 'http://realm');
        const contentType = request.headers['content-type'];
        const seen: RealmRequest = {
          method: request.method ?? '?',
          path: url.pathname,
          query: fields(url.searchParams),
          contentType,
          form: contentType?.startsWith('application/x-www-form-urlencoded') ? fields(new URLSearchParams(body.toString('utf8'))) : undefined,
          authorization: describeAuthorization(request.headers.authorization),
          userAgent: request.headers['user-agent'],
          status: 0,
        };
        log.requests.push(seen);
        const headers = { ...request.headers, host: target.host };
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, timeout: 30_000 },
          (answer) => {
            seen.status = answer.statusCode ?? 0;
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
        upstream.on('error', () => {
          seen.status = 502;
          if (!response.headersSent) response.writeHead(502);
          response.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RealmRecorder(server, (server.address() as AddressInfo).port, log);
  }

  /** The requests recorded since the last take(), and forgets them. */
  take(): RealmRequest[] {
    const taken = this.#log.requests;
    this.#log.requests = [];
    return taken;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A request in one line, e.g. `POST /auth → 200 grant_type=refresh_token client_id=docker scope=… auth=none`. */
export function formatRealmRequest(request: RealmRequest): string {
  const show = (values: Record<string, string[]>): string =>
    Object.entries(values)
      .map(([key, list]) => list.map((value) => `${key}=${value}`).join(' '))
      .join(' ');
  const parts = [`${request.method} ${request.path} → ${request.status}`];
  if (request.form) parts.push(`form: ${show(request.form)}`);
  if (Object.keys(request.query).length > 0) parts.push(`query: ${show(request.query)}`);
  parts.push(`authorization: ${request.authorization ?? 'none'}`);
  if (request.userAgent) parts.push(`user-agent: ${request.userAgent.split(' ')[0]}`);
  return parts.join('; ');
}

/**
 * How a request asked for its token, in short: `POST password`, `POST
 * refresh_token`, `GET Basic <user>`, `GET Basic (refresh token)`, `GET
 * anonymous`; with `+offline` when it asked for a refresh token.
 */
export function grantOf(request: RealmRequest): string {
  if (request.method === 'POST') {
    const offline = request.form?.access_type?.includes('offline') ? ' +offline' : '';
    return `POST ${request.form?.grant_type?.join(',') ?? '(no grant_type)'}${offline}`;
  }
  const offline = request.query.offline_token?.includes('true') ? ' +offline' : '';
  if (!request.authorization) return `${request.method} anonymous${offline}`;
  if (request.authorization === 'Basic ') return `${request.method} Basic (refresh token)${offline}`;
  return `${request.method} ${request.authorization}${offline}`;
}

/** One line of our access log. */
export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly account: string | undefined;
  readonly granted: readonly string[];
}

/** Our access log's request lines written since `from` characters of server.logs(). */
export function accessLog(server: TestServer, from = 0): AccessLogEntry[] {
  return server
    .logs()
    .slice(from)
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { message?: string; method?: string; path?: string; status?: number; account?: string; granted?: string[] }];
      } catch {
        return [];
      }
    })
    .filter((entry) => entry.message === 'request')
    .map((entry) => ({
      method: entry.method ?? '?',
      path: entry.path ?? '?',
      status: entry.status ?? 0,
      account: entry.account === '' ? undefined : entry.account,
      granted: entry.granted ?? [],
    }));
}

export function formatAccessLogEntry(entry: AccessLogEntry): string {
  return `${entry.method} ${entry.path} ${entry.status}${entry.account ? ` ${entry.account}` : ''}${entry.granted.length > 0 ? ` [${entry.granted.join(' ')}]` : ''}`;
}
