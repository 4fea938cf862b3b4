/**
 * What a Vault auth method's login answer tells about a directory user, and
 * which of the registry's groups that makes them a member of.
 *
 * Only a 200 whose body has an `auth` block with a client token is a
 * successful login: Vault's ldap method answers a wrong password with 204
 * and no body, userpass with 400, so "not 200 with auth" is "not logged in".
 *
 * `groups_from` says where a directory user's groups come from:
 * - `policies`: the Vault policy names of the login (LDAP groups reach
 *   stock Vault as policies: `vault write auth/ldap/groups/<group>
 *   policies=<name>`); `default` and `root` are Vault's own and never a group;
 * - `metadata`: the comma-separated `groups` field of the login's metadata
 *   (auth methods and plugins that put the directory's groups there);
 * - `identity_groups`: the names of the Vault identity groups of the login's
 *   entity (read by the server, which needs `read` on `identity/entity/id/*`
 *   and `identity/group/id/*`).
 */
import { redactSecrets } from './redact.js';

export type GroupsFrom = 'policies' | 'metadata' | 'identity_groups';

export interface VaultLoginAuth {
  readonly clientToken: string;
  readonly policies: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly entityId: string;
}

export type LoginAnswer =
  | { readonly kind: 'in'; readonly auth: VaultLoginAuth }
  | { readonly kind: 'out' }
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Vault's answer to a user's login, read: logged in (a 200 with an auth
 * block), not logged in (anything else Vault says of the credentials), or
 * Vault (or the directory behind it) unable to say. A 500 is both: userpass
 * answers a wrong password with 500 "invalid username or password", while
 * other 500s are Vault's own trouble. A directory ldap cannot connect to is
 * unavailable whatever the status (Vault 1.13 answers it with a 400).
 */
export function readLoginAnswer(status: number, body: unknown, sent: readonly string[] = []): LoginAnswer {
  // Vault 1.13's ldap method answers a directory it cannot connect to with a
  // 400, like bad credentials: read as those, a directory outage would tell
  // every user their password is wrong, and count against them.
  const unreachable = status === 200 ? [] : vaultErrorTexts(body, sent).filter((text) => DIRECTORY_UNREACHABLE.test(text));
  if (unreachable.length > 0) return { kind: 'unavailable', reason: `the login answered ${status}: ${unreachable.join('; ').slice(0, 200)}` };
  if (status === 500) {
    const errors = vaultErrorTexts(body, sent);
    if (errors.length > 0 && errors.every((text) => CREDENTIAL_ERRORS.test(text))) return { kind: 'out' };
    return { kind: 'unavailable', reason: `the login answered 500${errors.length > 0 ? `: ${errors.join('; ').slice(0, 200)}` : ''}` };
  }
  const auth = readLoginAuth(status, body);
  return auth === null ? { kind: 'out' } : { kind: 'in', auth };
}

/**
 * What Vault's ldap method says when it cannot reach the directory: Vault's
 * "error connecting to host" (refused, unresolvable, TLS), go-ldap's network
 * error. A directory that accepts the connection and drops it mid-bind is
 * worded "failed to bind as user", like an unknown user: no answer tells it.
 */
const DIRECTORY_UNREACHABLE = /error connecting to host|LDAP Result Code 200 "Network Error"/;

/** What Vault's auth methods say of bad credentials (userpass: "invalid username or password", "missing password"). */
const CREDENTIAL_ERRORS = /invalid username or password|invalid credentials|missing password|password cannot be/i;

/**
 * Vault's error texts, with every secret the login sent (the password, the
 * JWT) replaced first: a reason goes to the log, and an auth plugin may
 * quote what it was given.
 */
function vaultErrorTexts(body: unknown, sent: readonly string[]): string[] {
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.filter((text): text is string => typeof text === 'string').map((text) => redactSecrets(text, sent));
}

/** The auth block of a login answer; null unless it is a successful login. */
export function readLoginAuth(status: number, body: unknown): VaultLoginAuth | null {
  if (status !== 200 || typeof body !== 'object' || body === null) return null;
  const auth = (body as { auth?: unknown }).auth;
  if (typeof auth !== 'object' || auth === null) return null;
  const { client_token, policies, token_policies, metadata, entity_id } = auth as Record<string, unknown>;
  if (typeof client_token !== 'string' || client_token === '') return null;
  return {
    clientToken: client_token,
    policies: [...new Set([...strings(policies), ...strings(token_policies)])],
    metadata: Object.fromEntries(Object.entries(isRecord(metadata) ? metadata : {}).filter((pair): pair is [string, string] => typeof pair[1] === 'string')),
    entityId: typeof entity_id === 'string' ? entity_id : '',
  };
}

const VAULT_OWN_POLICIES = new Set(['default', 'root']);

/** The group names a login carries in itself (`policies`, `metadata`); identity groups are read by the caller. */
export function loginGroups(auth: VaultLoginAuth, from: Exclude<GroupsFrom, 'identity_groups'>): string[] {
  const names = from === 'policies' ? auth.policies.filter((name) => !VAULT_OWN_POLICIES.has(name)) : (auth.metadata.groups ?? '').split(',');
  return [...new Set(names.map((name) => name.trim()).filter((name) => name !== ''))];
}

/** The payload of a JWT that Vault has accepted; {} when it cannot be read (then no claim binds). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isRecord(claims) ? claims : {};
  } catch {
    return {};
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
