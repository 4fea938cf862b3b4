/**
 * What happens inside the server that more than one part cares about,
 * emitted once where it happens. The log (and, later, audit and metrics)
 * listen; the code that emits knows nothing of them.
 */
import { EventEmitter } from 'node:events';
import type { ErrorCode } from './errors.js';

export interface ServerEventMap {
  /** Vault stopped answering (unreachable, sealed, slow, 5xx, or our login failed). Once per outage. */
  'vault.lost': [{ reason: string }];
  /** Vault answers again after a `vault.lost`. */
  'vault.back': [{ downForMs: number }];
  /** The server logged in to Vault (at start, or again after its token expired or was revoked). */
  'vault.login': [{ method: string; ttlSeconds: number; renewable: boolean; again: boolean }];
  /** A login failed; reported once until a login succeeds. */
  'vault.login_failed': [{ method: string; reason: string }];
  /** The token cannot be renewed and will expire: said once per token. */
  'vault.token_expiring': [{ method: string; expiresAt: string; reason: string }];
  /** Vault refused a path to a valid token: the policy lacks a capability. */
  'vault.denied': [{ path: string; capability: string }];
  /** One call to Vault, whatever its outcome (for the metrics: cheap, no path, no token). */
  'vault.call': [VaultCall];
  /** One lookup in the user cache: served fresh (hit), fetched (miss), or served past its TTL because the store is unavailable (stale). */
  'cache.lookup': [{ result: 'hit' | 'miss' | 'stale' }];
  /** The throttle's Redis (throttle.redis.url) stopped answering: each process counts failed logins on its own until it is back. Once per outage. */
  'throttle.redis_lost': [{ address: string; reason: string }];
  /** The throttle's Redis answers again after a `throttle.redis_lost`. */
  'throttle.redis_back': [{ address: string; downForMs: number }];
  /** A cached user was served past the cache TTL because Vault is unavailable. */
  'cache.stale_served': [{ service: string }];
  /** A token was issued (maybe with less than was asked: `granted` ⊂ `requested`). */
  'token.granted': [TokenDecision & { readonly jti: string; readonly expiresAt: number }];
  /** A token request was refused (bad credentials, bad request, Vault unavailable, throttled…). */
  'token.denied': [TokenDecision & { readonly reason: ErrorCode; readonly status: number }];
}

/** What every token decision says. Never a password or a token. */
export interface TokenDecision {
  readonly requestId: string;
  readonly client: string;
  readonly method: string;
  /** The service asked for, once read (a bad request may not have one). */
  readonly service?: string | undefined;
  /** The authenticated account ('' for anonymous), or the user name the credentials claimed. */
  readonly account?: string | undefined;
  readonly grant?: 'password' | 'refresh_token' | 'anonymous' | undefined;
  /** A login through Vault (a directory or CI login): which, e.g. `ldap login`; absent for a KV login. */
  readonly login?: string;
  /** Scopes as strings (`repository:a/b:pull,push`). */
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  readonly durationMs: number;
}

/** What a Vault call was, how long it took and how it ended; never its path (a user name may be in it). */
export interface VaultCall {
  readonly operation: 'read' | 'login' | 'renew' | 'lookup' | 'write' | 'other';
  readonly durationMs: number;
  /** ok: answered; missing: 404 and the like; denied: 403; error: no usable answer (network, deadline, 5xx, sealed). */
  readonly outcome: 'ok' | 'missing' | 'denied' | 'error';
  /** Vault's HTTP status; absent when no answer came (network, TLS, deadline). */
  readonly status?: number;
}

export class ServerEvents extends EventEmitter<ServerEventMap> {}
