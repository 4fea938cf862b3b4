/**
 * The one error type of the server. Every failure that reaches a client is an
 * AppError: an HTTP status, a stable machine-readable code and a message.
 * 4xx messages are shown to the client; 5xx messages are logged and replaced
 * by a generic text, so internals (Vault paths, stack traces) never leak.
 */
export type ErrorCode =
  | 'UNAUTHORIZED'
  | 'INVALID_REQUEST'
  | 'INVALID_SCOPE'
  | 'UNKNOWN_SERVICE'
  | 'ACCOUNT_MISMATCH'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** Headers the response must carry, e.g. WWW-Authenticate on a 401. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ErrorCode, message: string, options: { cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }

  /** Whether the message may be shown to the client. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export const invalidRequest = (message: string): AppError => new AppError(400, 'INVALID_REQUEST', message);
export const invalidScope = (message: string): AppError => new AppError(400, 'INVALID_SCOPE', message);
export const unknownService = (service: string): AppError => new AppError(400, 'UNKNOWN_SERVICE', `unknown service: ${JSON.stringify(service)}`);
export const unavailable = (message: string, cause?: unknown): AppError => new AppError(503, 'UNAVAILABLE', message, { cause });
