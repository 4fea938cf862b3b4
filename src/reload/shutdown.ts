/**
 * A graceful, bounded stop of the HTTP(S) server (SIGTERM, SIGINT, and a
 * worker told to stop): no new connections, the requests in flight answered,
 * idle keep-alive connections closed, all within `http.shutdown_timeout`.
 * After that the connections left are cut, and the caller exits with 1.
 */
import type http from 'node:http';
import type { Logger } from 'winston';
import type { TrackedListener } from './in-flight.js';

export interface DrainResult {
  /** Connections cut at the deadline: 0 when everything finished in time. */
  readonly cut: number;
}

/** How often idle keep-alive connections are closed while draining: they become idle as their last answer is sent. */
const IDLE_SWEEP_MS = 100;

export function drainServer(
  server: http.Server,
  requests: Pick<TrackedListener, 'closeAfterAnswer'>,
  { timeoutMs, logger }: { readonly timeoutMs: number; readonly logger: Logger },
): Promise<DrainResult> {
  if (!server.listening) return Promise.resolve({ cut: 0 });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: DrainResult): void => {
      if (settled) return;
      settled = true;
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(result);
    };
    // Answers still to be written carry `Connection: close`; a keep-alive
    // client then does not send its next request on a socket about to go.
    requests.closeAfterAnswer();
    server.close(() => finish({ cut: 0 }));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      server.getConnections((_error, count) => {
        const cut = Math.max(count, 1);
        logger.error('requests still in flight after http.shutdown_timeout: cutting their connections', {
          connections: cut,
          shutdown_timeout_ms: timeoutMs,
        });
        server.closeAllConnections();
        finish({ cut });
      });
    }, timeoutMs);
  });
}
