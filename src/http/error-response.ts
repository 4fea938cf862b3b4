/**
 * Error codes → HTTP answers: the only place that knows which status, which
 * headers and which message a client gets for a failure. The realm's GET
 * answers in Docker's shape, {"errors":[{"code","message"}]}, which docker,
 * containerd and podman parse; its POST in OAuth2's, {"error",
 * "error_description"}. Bad credentials are a 401 on both (podman words its
 * message from the 401; containerd falls back from POST to GET on 400, 401,
 * 404 and 405, never on a 5xx).
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
  EXPECTATION_FAILED: 417,
  UNSUPPORTED_GRANT_TYPE: 400,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  THROTTLED: 429,
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
  readonly body: { readonly errors: readonly [{ readonly code: ErrorCode | DockerOnlyCode; readonly message: string }] };
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

// Where Docker's error codes (distribution's errcode) have their own name for ours.
type DockerOnlyCode = 'TOO_MANY_REQUESTS';
const DOCKER_CODES: Readonly<Partial<Record<ErrorCode, DockerOnlyCode>>> = { THROTTLED: 'TOO_MANY_REQUESTS' };

export function dockerErrorAnswer(error: AppError): ErrorAnswer {
  const message = GENERIC_MESSAGES[error.code] ?? error.message;
  return { status: STATUS[error.code], headers: headersOf(error), body: { errors: [{ code: DOCKER_CODES[error.code] ?? error.code, message }] } };
}

// RFC 6749 section 5.2 error codes (temporarily_unavailable and server_error from 4.1.2.1).
const OAUTH_ERRORS: Readonly<Partial<Record<ErrorCode, string>>> = {
  UNAUTHORIZED: 'invalid_grant',
  INVALID_SCOPE: 'invalid_scope',
  UNSUPPORTED_GRANT_TYPE: 'unsupported_grant_type',
  UNAVAILABLE: 'temporarily_unavailable',
  // No RFC 6749 code says "too many attempts"; this one says "try later", and Retry-After says when.
  THROTTLED: 'temporarily_unavailable',
  INTERNAL: 'server_error',
};

export interface OAuthErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly error_description: string; readonly details: string };
}

/*
 * `details` repeats the description because docker's client shows only a
 * top-level `details` (or an `errors` array) of a failed token request: with
 * it, "invalid or expired refresh token: log in again" reaches the user.
 */
export function oauthErrorAnswer(error: AppError): OAuthErrorAnswer {
  const description = GENERIC_MESSAGES[error.code] ?? error.message;
  return {
    status: STATUS[error.code],
    headers: headersOf(error),
    body: { error: OAUTH_ERRORS[error.code] ?? 'invalid_request', error_description: description, details: description },
  };
}

function headersOf(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHORIZED') headers['WWW-Authenticate'] = BASIC_CHALLENGE;
  if (error.code === 'UNAVAILABLE' || error.code === 'THROTTLED')
    headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)));
  return headers;
}
