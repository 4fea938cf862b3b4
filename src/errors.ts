/**
 * The one error type of the server. Domain, storage and Vault code throw an
 * AppError that carries a stable machine-readable code and a message, and
 * nothing of HTTP: the status, the headers and the body's shape are decided
 * at the edge (src/http/error-response.ts), in one place.
 */
export type ErrorCode =
  | 'UNAUTHORIZED'
  | 'INVALID_REQUEST'
  | 'INVALID_SCOPE'
  | 'UNKNOWN_SERVICE'
  | 'ACCOUNT_MISMATCH'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'URI_TOO_LONG'
  /** An `Expect` other than 100-continue (RFC 9110, 10.1.1). */
  | 'EXPECTATION_FAILED'
  | 'UNSUPPORTED_GRANT_TYPE'
  | 'UNAVAILABLE'
  /** Too many failed logins: this client (or account) must wait (retryAfterSeconds). */
  | 'THROTTLED'
  | 'INTERNAL';

export interface AppErrorOptions {
  readonly cause?: unknown;
  /** For UNAVAILABLE and THROTTLED: when the client may usefully try again. */
  readonly retryAfterSeconds?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (error: unknown, code?: ErrorCode): error is AppError => error instanceof AppError && (code === undefined || error.code === code);

export const invalidRequest = (message: string): AppError => new AppError('INVALID_REQUEST', message);
export const invalidScope = (message: string): AppError => new AppError('INVALID_SCOPE', message);
export const unknownService = (service: string): AppError => new AppError('UNKNOWN_SERVICE', `unknown service: ${JSON.stringify(service)}`);
export const unauthorized = (message: string): AppError => new AppError('UNAUTHORIZED', message);
export const unavailable = (message: string, options: AppErrorOptions = {}): AppError => new AppError('UNAVAILABLE', message, options);
