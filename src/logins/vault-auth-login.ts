/**
 * `{ vault_auth: MOUNT }`: the name and password are a login to a Vault auth
 * method, `POST auth/MOUNT/login/NAME` (userpass, ldap, okta and radius share
 * it), so a company's directory needs no LDAP client of ours.
 *
 * - Only a 200 with an auth block is a login (ldap answers a wrong password
 *   with 204 and no body). Every other answer is `unknown`: Vault words an
 *   unknown user and a wrong password alike, and so do we. Vault unavailable
 *   (5xx, sealed, unreachable, too slow) is UNAVAILABLE: a 503, never a 401.
 * - An empty password never reaches Vault: an LDAP "unauthenticated bind"
 *   succeeds with any name (docker_auth's empty-password bug).
 * - The token the login returns is revoked at once and never kept or logged;
 *   only the group names are used (see src/domain/vault-login.ts for
 *   `groups_from`).
 * - Successful logins are remembered (LoginMemory), so a burst makes one
 *   Vault login.
 */
import { checkPathSegment, isReservedName } from '../domain/names.js';
import type { ServiceTarget } from '../domain/service.js';
import { type GroupsFrom, loginGroups, readLoginAnswer, type VaultLoginAuth } from '../domain/vault-login.js';
import { unavailable } from '../errors.js';
import type { VaultClient } from '../vault/client.js';
import { vaultErrorText } from '../vault/error-text.js';
import { withinVaultDeadline } from '../vault/transport.js';
import { identityGroupNames } from './identity-groups.js';
import type { LoginMemory } from './login-memory.js';
import { type LoginOutcome, type LoginRights, type LoginWay, UNKNOWN } from './login-way.js';

export interface VaultLoginParts {
  readonly vault: VaultClient;
  /** Each login (with the identity reads) within the storage timeout. */
  readonly timeoutMs: number;
  readonly memory: LoginMemory<LoginRights>;
  /** A login's token could not be revoked (it expires by its own TTL). */
  readonly onRevokeFailed: (mount: string) => void;
  /**
   * Vault refused a login, with its (redacted) words: for the debug log, where
   * a misconfigured method or role ("role could not be found") shows.
   */
  readonly onRefused?: (path: string, status: number, reason: string) => void;
}

export class VaultAuthLogin implements LoginWay {
  readonly name: string;
  readonly #mount: string;
  readonly #groupsFrom: GroupsFrom;
  readonly #parts: VaultLoginParts;

  readonly #notMine: ReadonlySet<string>;

  /**
   * `notMine`: the service's CI login names. A CI job's token is never sent
   * to a directory as a password, whatever order the ways are in.
   */
  constructor(mount: string, groupsFrom: GroupsFrom, parts: VaultLoginParts, notMine: ReadonlySet<string> = new Set()) {
    this.#notMine = notMine;
    this.name = `vault_auth ${mount}`;
    this.#mount = mount;
    this.#groupsFrom = groupsFrom;
    this.#parts = parts;
  }

  async login(target: ServiceTarget, account: string, password: string): Promise<LoginOutcome> {
    if (password === '' || this.#notMine.has(account) || !checkPathSegment(account).ok || isReservedName(account)) return UNKNOWN;
    const rights = await this.#parts.memory.remember([target.service, this.name, account, password], () => this.#vaultLogin(account, password));
    return rights === null ? UNKNOWN : { kind: 'accepted', rights };
  }

  async #vaultLogin(account: string, password: string): Promise<{ value: LoginRights } | null> {
    const { vault, timeoutMs } = this.#parts;
    const auth = await vaultLogin(this.#parts, `auth/${this.#mount}/login/${encodeURIComponent(account)}`, { password }, password);
    if (auth === null) return null;
    try {
      const { groups, problems } = await bounded(groupsOf(vault, auth, this.#groupsFrom), timeoutMs);
      return { value: { via: `${this.#mount} login`, groups, problems } };
    } finally {
      revoke(vault, auth, this.#mount, this.#parts.onRevokeFailed);
    }
  }
}

/** A user's login through Vault: the auth block, null when not logged in; UNAVAILABLE when Vault or its directory cannot say. */
export async function vaultLogin(parts: VaultLoginParts, path: string, body: unknown, secret: string): Promise<VaultLoginAuth | null> {
  const response = await bounded(parts.vault.login(path, body), parts.timeoutMs);
  const sent = [secret, encodeURIComponent(secret)];
  const answer = readLoginAnswer(response.status, response.body, sent);
  // The path without the user's name: `auth/ldap/login`.
  const where = path.replace(/\/login\/.*$/, '/login');
  if (answer.kind === 'unavailable') throw unavailable(`Vault cannot check the login at ${where}: ${answer.reason}`);
  if (answer.kind === 'out') parts.onRefused?.(where, response.status, vaultErrorText(response, sent));
  return answer.kind === 'in' ? answer.auth : null;
}

/** The login's group names, and what kept some from being read (for the log). */
export async function groupsOf(vault: VaultClient, auth: VaultLoginAuth, from: GroupsFrom): Promise<{ groups: string[]; problems: string[] }> {
  if (from !== 'identity_groups') return { groups: loginGroups(auth, from), problems: [] };
  const { names, problems } = await identityGroupNames(vault, auth.entityId);
  return { groups: names, problems };
}

/** Revoked in the background: the answer does not wait for it, and a failure only leaves a token to expire. */
export function revoke(vault: VaultClient, auth: VaultLoginAuth, mount: string, onFailed: (mount: string) => void): void {
  void vault.revokeSelf(auth.clientToken).then((revoked) => {
    if (!revoked) onFailed(mount);
  });
}

export function bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return withinVaultDeadline(work, timeoutMs, 'Vault did not answer the login in time');
}
