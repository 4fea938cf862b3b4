/** What the middleware of one request share through `ctx.state`. */
import type { ParameterizedContext } from 'koa';
import type { ResourceScope } from '../domain/scope.js';

export interface RequestState {
  /** Set as soon as known, for the access log. */
  service?: string;
  account?: string;
  granted?: readonly ResourceScope[];
  /** How the request authenticated: password, refresh_token or anonymous. */
  grant?: 'password' | 'refresh_token' | 'anonymous';
  /** How errors are answered: Docker's {"errors":[…]} (the default) or OAuth2's {"error":…}. */
  errorShape?: 'docker' | 'oauth';
}

export type AppContext = ParameterizedContext<RequestState>;
