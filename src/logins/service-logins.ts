/**
 * Each service's ways of checking a password, built once from the config
 * (`services[].logins`): the KV way, Vault auth methods, CI logins. All the
 * Vault ways share the server's one Vault client and one memory of
 * successful logins (bounded like the user cache, for its TTL).
 */
import type { LoginWayConfig, ServiceLogins } from '../config/config.js';
import type { PasswordVerifier } from '../passwords/verifier.js';
import type { Clock } from '../util/clock.js';
import type { VaultClient } from '../vault/client.js';
import { KvLogin, PASSES_NONE } from './kv-login.js';
import { LoginMemory } from './login-memory.js';
import type { LoginRights, LoginWay } from './login-way.js';
import { VaultAuthLogin } from './vault-auth-login.js';
import { VaultJwtLogin } from './vault-jwt-login.js';

export interface ServiceLoginParts {
  readonly logins: ReadonlyMap<string, ServiceLogins>;
  readonly verifier: PasswordVerifier;
  /** Null with the embedded file store (the config refuses Vault ways then). */
  readonly vault: VaultClient | null;
  readonly timeoutMs: number;
  /** The user cache's TTL and size: how long and how many successful logins are remembered. */
  readonly rememberMs: number;
  readonly maxRemembered: number;
  readonly clock: Clock;
  readonly onRevokeFailed: (mount: string) => void;
  /** Vault refused a login (its redacted words, for the debug log). */
  readonly onRefused?: (path: string, status: number, reason: string) => void;
}

/** Whether `account` is one of `service`'s CI login names (`ci` of `{vault_jwt, username: ci}`). */
export function ciNames(logins: ReadonlyMap<string, ServiceLogins>): (service: string, account: string) => boolean {
  const names = new Set<string>();
  for (const [service, { ways }] of logins) for (const way of ways) if (way.kind === 'vault_jwt') names.add(`${service}\u0000${way.username}`);
  return (service, account) => names.has(`${service}\u0000${account}`);
}

export function serviceLogins(parts: ServiceLoginParts): (service: string) => readonly LoginWay[] {
  const kvOnly = kvOnlyLogins(parts.verifier);
  const memory = new LoginMemory<LoginRights>({ ttlMs: parts.rememberMs, max: parts.maxRemembered, clock: parts.clock });
  const byService = new Map<string, readonly LoginWay[]>();
  for (const [service, { ways, groupsFrom }] of parts.logins) {
    byService.set(
      service,
      ways.map((way, index): LoginWay => {
        if (way.kind === 'kv') {
          const later = ways.slice(index + 1);
          const laterCiNames = ciNamesOf(later);
          // Only CI logins after kv (or none at all): only their names may pass on (see kv-login.ts).
          return new KvLogin(parts.verifier, laterCiNames.length === later.length ? new Set(laterCiNames) : 'every');
        }
        const vault = parts.vault;
        if (vault === null) throw new Error(`the ${way.kind} login of ${service} needs Vault`); // refused by the config first
        const common = {
          vault,
          timeoutMs: parts.timeoutMs,
          memory,
          onRevokeFailed: parts.onRevokeFailed,
          ...(parts.onRefused ? { onRefused: parts.onRefused } : {}),
        };
        if (way.kind === 'vault_auth') return new VaultAuthLogin(way.mount, groupsFrom, common, new Set(ciNamesOf(ways)));
        return new VaultJwtLogin({ mount: way.mount, role: way.role, username: way.username, access: way.access, groupsFrom }, common);
      }),
    );
  }
  return (service) => byService.get(service) ?? kvOnly(service);
}

function ciNamesOf(ways: readonly LoginWayConfig[]): string[] {
  return ways.flatMap((way) => (way.kind === 'vault_jwt' ? [way.username] : []));
}

/** The ways of a service without `logins`: the KV entry's password only (also the app's default). */
export function kvOnlyLogins(verifier: PasswordVerifier): (service: string) => readonly LoginWay[] {
  const ways: readonly LoginWay[] = [new KvLogin(verifier, PASSES_NONE)];
  return () => ways;
}
