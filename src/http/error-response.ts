/**
 * Error codes → HTTP answers: the only place that knows which status, which
 * headers and which message a client gets for a failure. The realm's GET
 * answers in Docker's shape, {"errors":[{"code","message"}]}, which docker,
 * containerd and podman parse.
 */
import type { AppError, ErrorCode } from '../errors.js';

export const BASIC_CHALLENGE = 'Basic realm="vault-registry-auth", charset="UTF-8"';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_SCOPE: 400,
  UNKNOWN_SERVICE: 400,
  ACCOUNT_MISMATCH: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  URI_TOO_LONG: 414,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

// A 5xx's own message may name Vault paths or causes: clients get these.
const GENERIC_MESSAGES: Readonly<Partial<Record<ErrorCode, string>>> = {
  UNAVAILABLE: 'the user store is unavailable, try again later',
  INTERNAL: 'internal server error',
};

/** Until a client may try again when nothing better is known. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly errors: readonly [{ readonly code: ErrorCode; readonly message: string }] };
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export function dockerErrorAnswer(error: AppError): ErrorAnswer {
  const status = STATUS[error.code];
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHORIZED') headers['WWW-Authenticate'] = BASIC_CHALLENGE;
  if (error.code === 'UNAVAILABLE') headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)));
  const message = GENERIC_MESSAGES[error.code] ?? error.message;
  return { status, headers, body: { errors: [{ code: error.code, message }] } };
}
