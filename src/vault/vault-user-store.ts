/**
 * Users kept in Vault KV: the secret `<mount>/<user>` with `password` and
 * `access`. Every lookup is bounded by the storage timeout as a whole
 * (mount detection, a login again, the read), so no request waits on Vault
 * longer than that.
 */
import { AppError, unavailable, unknownService } from '../errors.js';
import type { ServerEvents } from '../events.js';
import { ANONYMOUS_ENTRY, GROUPS_FOLDER, type GroupRecord, toGroupRecord, toUserRecord, type UserRecord, type UserStore } from '../users/user-store.js';
import type { VaultClient } from './client.js';
import { type KvMount, type KvMountResolver, secretPath, userSecretPath } from './mounts.js';
import { withinVaultDeadline } from './transport.js';

/** A user name no one has, read at start-up to check that the policy allows reading users. */
const PROBE_ACCOUNT = 'vault-registry-auth-policy-probe';

export class VaultUserStore implements UserStore {
  readonly #vault: VaultClient;
  readonly #mounts: KvMountResolver;
  readonly #events: ServerEvents;
  readonly #timeoutMs: number;
  readonly #address: string;
  readonly #reportedDenied = new Set<string>();

  constructor(parts: { vault: VaultClient; mounts: KvMountResolver; events: ServerEvents; timeoutMs: number; address: string }) {
    this.#vault = parts.vault;
    this.#mounts = parts.mounts;
    this.#events = parts.events;
    this.#timeoutMs = parts.timeoutMs;
    this.#address = parts.address;
  }

  lookup(mount: string, account: string): Promise<UserRecord | null> {
    return this.#bounded(this.#lookup(mount, account));
  }

  lookupGroup(mount: string, group: string): Promise<GroupRecord | null> {
    return this.#bounded(this.#read(mount, [GROUPS_FOLDER, group]).then(toGroupRecord));
  }

  lookupAnonymous(mount: string): Promise<GroupRecord | null> {
    return this.#bounded(this.#read(mount, [ANONYMOUS_ENTRY]).then(toGroupRecord));
  }

  /** The whole lookup (mount detection, a login again, the read) within the storage timeout. */
  #bounded<T>(lookup: Promise<T>): Promise<T> {
    return withinVaultDeadline(lookup, this.#timeoutMs, 'Vault did not answer in time');
  }

  async #lookup(mount: string, account: string): Promise<UserRecord | null> {
    if (account === GROUPS_FOLDER) return null;
    const entry = await this.#read(mount, [account]);
    return entry === null ? null : toUserRecord(entry);
  }

  /** The fields of the secret at `segments` in the service's mount, or null when there is none. */
  async #read(mount: string, segments: readonly string[]): Promise<unknown> {
    const found = await this.#mounts.resolve(mount);
    if (found.kind !== 'kv') throw unknownService(mount);
    const answer = await this.#vault.read(secretPath(found.mount, segments));
    if (answer.kind === 'denied') {
      this.#reportDenied(found.mount);
      // Our token is valid but may not read users here: a configuration
      // problem of the server, never the user's fault, so never a 401.
      throw unavailable(`Vault denies reading users in ${found.mount.root}`);
    }
    if (answer.kind === 'missing') return null;
    const body = answer.body as { data?: { data?: unknown } & Record<string, unknown> };
    return (found.mount.version === 2 ? body.data?.data : body.data) ?? null;
  }

  /**
   * Checks each mount at start-up and says, for each, what is wrong in words
   * that name the path and the missing capability. Vault being unavailable
   * is not a problem of the configuration: those mounts are skipped.
   */
  async check(mounts: readonly string[]): Promise<string[]> {
    const problems: string[] = [];
    for (const mount of mounts) {
      try {
        const found = await this.#mounts.resolve(mount);
        if (found.kind !== 'kv') {
          problems.push(describeMountProblem(mount, found.why));
          continue;
        }
        const answer = await this.#vault.read(userSecretPath(found.mount, PROBE_ACCOUNT));
        if (answer.kind === 'denied') problems.push(deniedMessage(found.mount));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
    return problems;
  }

  describe(): string {
    return `vault at ${this.#address}`;
  }

  async close(): Promise<void> {
    this.#vault.close();
  }

  #reportDenied(mount: KvMount): void {
    if (this.#reportedDenied.has(mount.root)) return;
    this.#reportedDenied.add(mount.root);
    this.#events.emit('vault.denied', { path: usersGlob(mount), capability: 'read' });
  }
}

/** `registry/*`, `registry/data/*` or `secret/data/team/*`: what the policy must allow. */
export function usersGlob(mount: KvMount): string {
  return userSecretPath(mount, '*');
}

function deniedMessage(mount: KvMount): string {
  return `the server's Vault token may not read ${usersGlob(mount)}: its policy needs path "${usersGlob(mount)}" { capabilities = ["read"] } (see config/vault-policy.hcl)`;
}

function describeMountProblem(mount: string, why: 'reserved' | 'missing' | 'denied' | 'not-kv'): string {
  switch (why) {
    case 'reserved':
      return `the mount ${mount} is one of Vault's own paths, never a user store`;
    case 'missing':
      return `there is no mount ${mount} in Vault (sys/internal/ui/mounts/${mount} found nothing)`;
    case 'not-kv':
      return `the mount ${mount} is not a KV secrets engine`;
    case 'denied':
      return `the server's Vault token may not see the mount ${mount} (sys/internal/ui/mounts/${mount} answered 403): its policy needs read on ${mount}/* (KV v1) or ${mount}/data/* (KV v2); see config/vault-policy.hcl`;
  }
}
