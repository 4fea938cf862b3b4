/**
 * The metrics' own listener (`metrics.addr`): Prometheus text at
 * metrics.path and nothing else, so the metrics can stay on an internal
 * address while the token endpoint faces the clients. Plain node:http: one
 * route needs no application around it. Errors keep the server's JSON shape.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../errors.js';
import type { MetricsSource } from '../observers/metrics.js';
import { dockerErrorAnswer } from './error-response.js';

export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

export async function listenMetrics(listen: { host?: string; port: number }, path: string, source: MetricsSource): Promise<MetricsListener> {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://metrics');
    const fail = (error: AppError): void => {
      const answer = dockerErrorAnswer(error);
      response.writeHead(answer.status, { ...answer.headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(JSON.stringify(answer.body));
    };
    if (pathname !== path) return fail(new AppError('NOT_FOUND', 'no such endpoint'));
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here`));
    source.render().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': source.contentType, 'Cache-Control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => fail(new AppError('INTERNAL', 'metrics unavailable', { cause: error })),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new MetricsListenError(`metrics.addr: cannot listen on ${listen.host ?? ''}:${listen.port}: ${error.code ?? error.message}`)),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${path}`,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The metrics address cannot be listened on; the caller makes it a start-up error. */
export class MetricsListenError extends Error {
  override readonly name = 'MetricsListenError';
}
