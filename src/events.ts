/**
 * What happens inside the server that more than one part cares about,
 * emitted once where it happens. The log (and, later, audit and metrics)
 * listen; the code that emits knows nothing of them.
 */
import { EventEmitter } from 'node:events';

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
  /** A cached user was served past the cache TTL because Vault is unavailable. */
  'cache.stale_served': [{ service: string }];
}

export class ServerEvents extends EventEmitter<ServerEventMap> {}
