/**
 * What Node's HTTP parser answers on its own (a method it does not know, a
 * malformed request line, headers too large, a client too slow to send its
 * request, or its body, in time) gets the same JSON error body as
 * everything else, instead of Node's empty plain-text answer. So does
 * CONNECT, which Node hands to a `connect` listener and, without one, cuts
 * off without a word.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { AppError } from '../errors.js';
import { dockerErrorAnswer } from './error-response.js';

const ANSWERS: Readonly<Record<string, [number, string, string, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'INVALID_REQUEST', 'the request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'INVALID_REQUEST', 'the request headers are too large'],
};
const BAD_REQUEST: [number, string, string, string] = [400, 'Bad Request', 'INVALID_REQUEST', 'the request is not valid HTTP'];

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // As Node does itself: an answer only where none has begun. A body still
  // arriving at http.timeout has a response object, not yet written: it
  // gets the 408 too, and the handler waiting for that body finds the
  // socket gone.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
  const body = JSON.stringify({ errors: [{ code, message }] });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** CONNECT (a tunnel through a proxy): this server is none; a 405 in JSON, and the connection closed. */
export function answerConnect(request: IncomingMessage, socket: Duplex): void {
  const answer = dockerErrorAnswer(new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here`));
  const body = JSON.stringify(answer.body);
  const headers = { ...answer.headers, Allow: 'HEAD, GET, POST' };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  // Node took its own error listener off this socket when it handed it over: a reset must not become an uncaught error.
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${lines.join('')}Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
