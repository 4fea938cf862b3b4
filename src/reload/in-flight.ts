/**
 * Counts the requests one request listener is answering. A reload swaps the
 * server's listener for a new app's; the old app's stores and Vault client
 * may only be closed once the requests it took have ended, and a shutdown
 * tells the connections of those requests not to stay open afterwards.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface TrackedListener {
  /** What the server calls for each request (`server.on('request', …)`). */
  readonly listener: RequestListener;
  /** Requests taken and not yet answered (or abandoned). */
  active(): number;
  /** Resolves once no request is in flight, or after `timeoutMs`, with the number still in flight. */
  idle(timeoutMs: number): Promise<number>;
  /** The connections of the requests in flight close after their answer (no keep-alive): a shutdown is under way. */
  closeAfterAnswer(): void;
}

export function trackInFlight(handle: RequestListener): TrackedListener {
  const responses = new Set<ServerResponse>();
  let waiters: Array<() => void> = [];
  let closing = false;
  const ended = (response: ServerResponse): void => {
    if (!responses.delete(response) || responses.size > 0) return;
    const waiting = waiters;
    waiters = [];
    for (const wake of waiting) wake();
  };
  const noKeepAlive = (response: ServerResponse): void => {
    // Only while the head is unsent; Node then answers `Connection: close` and ends the socket.
    if (!response.headersSent) response.shouldKeepAlive = false;
  };
  return {
    listener(request, response) {
      responses.add(response);
      if (closing) noKeepAlive(response);
      // 'close' comes after the answer is written, and also when the client goes away first.
      response.once('close', () => ended(response));
      handle(request, response);
    },
    active: () => responses.size,
    idle(timeoutMs) {
      if (responses.size === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(responses.size), timeoutMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve(0);
        });
      });
    },
    closeAfterAnswer() {
      closing = true;
      for (const response of responses) noKeepAlive(response);
    },
  };
}
