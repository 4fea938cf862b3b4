/** What the middleware of one request share through `ctx.state`. */
import type { ParameterizedContext } from 'koa';
import type { ResourceScope } from '../domain/scope.js';
import type { ErrorCode } from '../errors.js';

export interface RequestState {
  /** This request's id: the client's X-Request-Id when it is a sane one, else a new one; echoed in the answer. */
  requestId: string;
  /** The client's address: the socket's, or X-Forwarded-For's as trusted proxies tell it. */
  client: string;
  /** A token request (GET or POST on a realm path): its outcome is a token decision. */
  decision?: boolean;
  /** The scopes asked for, once read. */
  requested?: readonly ResourceScope[];
  /** The user name the credentials claim (before they are checked). */
  attempted?: string;
  /** The token issued: its id and expiry (seconds since the epoch). */
  token?: { readonly jti: string; readonly expiresAt: number };
  /** The code of the error answered, when one was (set by the error handler). */
  errorCode?: ErrorCode;
  /** Set as soon as known, for the access log. */
  service?: string;
  account?: string;
  granted?: readonly ResourceScope[];
  /** How the request authenticated: password, refresh_token or anonymous. */
  grant?: 'password' | 'refresh_token' | 'anonymous';
  /** A login through Vault (a directory or CI login): which (`ldap login`); absent for a KV login. */
  login?: string;
  /** How errors are answered: Docker's {"errors":[…]} (the default) or OAuth2's {"error":…}. */
  errorShape?: 'docker' | 'oauth';
}

export type AppContext = ParameterizedContext<RequestState>;
