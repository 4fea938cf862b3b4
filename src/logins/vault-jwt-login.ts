/**
 * `{ vault_jwt: MOUNT, role, username, access }`: short-lived credentials for
 * CI. A job sends the fixed user name (`ci`) and its CI system's OIDC token
 * as the password; Vault's `jwt` auth method checks the token against the
 * role (issuer keys, audience, expiry, bound claims): `POST auth/MOUNT/login`
 * with `{role, jwt}`. The rights are the role's groups (`groups_from`, e.g.
 * its policies) and the `access` template bound to the token's claims
 * (src/domain/claims-template.ts).
 *
 * The name is this way's own, so a failed login is `refused`, not passed on.
 * The login is remembered until the cache TTL or the token's `exp`,
 * whichever comes first, and its Vault token is revoked at once.
 */
import { bindClaims } from '../domain/claims-template.js';
import type { ServiceTarget } from '../domain/service.js';
import { type GroupsFrom, jwtClaims } from '../domain/vault-login.js';
import { type LoginOutcome, type LoginRights, type LoginWay, REFUSED, UNKNOWN } from './login-way.js';
import { bounded, groupsOf, revoke, type VaultLoginParts, vaultLogin } from './vault-auth-login.js';

/** Three base64url parts; GitLab's and GitHub's tokens are about 1 KiB. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_JWT_LENGTH = 8192;

export interface JwtLoginSettings {
  readonly mount: string;
  readonly role: string;
  /** The user name CI jobs send. */
  readonly username: string;
  /** The access template (`repository:${claims.project_path}/**:push,pull`); may be empty. */
  readonly access: string;
  readonly groupsFrom: GroupsFrom;
}

export class VaultJwtLogin implements LoginWay {
  readonly name: string;
  readonly #settings: JwtLoginSettings;
  readonly #parts: VaultLoginParts;

  constructor(settings: JwtLoginSettings, parts: VaultLoginParts) {
    this.name = `vault_jwt ${settings.mount}`;
    this.#settings = settings;
    this.#parts = parts;
  }

  async login(target: ServiceTarget, account: string, password: string): Promise<LoginOutcome> {
    if (account !== this.#settings.username) return UNKNOWN;
    if (password.length > MAX_JWT_LENGTH || !JWT_SHAPE.test(password)) return REFUSED;
    const rights = await this.#parts.memory.remember([target.service, this.name, this.#settings.role, password], () => this.#vaultLogin(password));
    return rights === null ? REFUSED : { kind: 'accepted', rights };
  }

  async #vaultLogin(jwt: string): Promise<{ value: LoginRights; expiresAt?: number } | null> {
    const { vault, timeoutMs } = this.#parts;
    const { mount, role, access, groupsFrom } = this.#settings;
    const auth = await vaultLogin(this.#parts, `auth/${mount}/login`, { role, jwt }, jwt);
    if (auth === null) return null;
    try {
      const { groups, problems } = await bounded(groupsOf(vault, auth, groupsFrom), timeoutMs);
      // Vault has just checked this token's signature and claims: its payload is the CI system's word.
      const claims = jwtClaims(jwt);
      const bound = bindClaims(access, claims);
      const via = `${mount} login (role ${role})`;
      const value: LoginRights = {
        via,
        groups,
        problems: [...problems, ...bound.problems],
        access: { source: { kind: 'login', name: via }, access: bound.access },
      };
      return typeof claims.exp === 'number' ? { value, expiresAt: claims.exp * 1000 } : { value };
    } finally {
      revoke(vault, auth, mount, this.#parts.onRevokeFailed);
    }
  }
}
