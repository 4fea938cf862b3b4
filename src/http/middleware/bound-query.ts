/**
 * Bounds the query string before anything parses it. Parsing thousands of
 * parameters costs CPU before any credential is checked (8,000 empty ones
 * held the server for 0.3 s a request); no real client sends more than a few
 * dozen (64 scopes at most are accepted anyway).
 */
import type { Next } from 'koa';
import { AppError } from '../../errors.js';
import type { AppContext } from '../context.js';

export const MAX_QUERY_LENGTH = 8192;
export const MAX_QUERY_PARAMETERS = 128;

export function boundQuery() {
  return async function checkQuery(ctx: AppContext, next: Next): Promise<void> {
    const query = ctx.querystring;
    if (query.length > MAX_QUERY_LENGTH) {
      throw new AppError('URI_TOO_LONG', `the query string is longer than ${MAX_QUERY_LENGTH} characters`);
    }
    if (hasTooManyParameters(query)) {
      throw new AppError('INVALID_REQUEST', `the query string has more than ${MAX_QUERY_PARAMETERS} parameters`);
    }
    await next();
  };
}

/** Whether `text` (a query string or a form body) holds more than MAX_QUERY_PARAMETERS fields, counted without parsing it. */
export function hasTooManyParameters(text: string): boolean {
  let fields = 1;
  for (let at = text.indexOf('&'); at !== -1 && fields <= MAX_QUERY_PARAMETERS; at = text.indexOf('&', at + 1)) fields += 1;
  return fields > MAX_QUERY_PARAMETERS;
}
