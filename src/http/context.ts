/** What the middleware of one request share through `ctx.state`. */
import type { ParameterizedContext } from 'koa';
import type { ResourceScope } from '../domain/scope.js';

export interface RequestState {
  /** Set as soon as known, for the access log. */
  service?: string;
  account?: string;
  granted?: readonly ResourceScope[];
}

export type AppContext = ParameterizedContext<RequestState>;
