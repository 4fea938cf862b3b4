/**
 * Users and groups written to Vault KV (v1 or v2, a whole mount or a folder
 * inside one), through the server's own Vault client: same login methods,
 * TLS, namespace. The layout is the one `vault write` / `vault kv put`
 * produce, so a user written here reads back with `vault read` and the other
 * way round:
 *
 *   KV v1:  <mount>/<user>                 <mount>/_groups/<group>
 *   KV v2:  <mount>/data/<user>            <mount>/data/_groups/<group>
 *           (LIST and complete deletion on <mount>/metadata/…)
 *
 * On KV v2 every write after a read of the same secret is a check-and-set
 * on the version read, so an edit never silently overwrites someone else's
 * change made in between. A refusal by Vault's policy is reported with the
 * path and the capability the token lacks.
 */
import { AdminError, checkName, type EntryKind, GROUPS_FOLDER, mapLimit, nameProblem, type SecretFields, sortNames, EntryAdmin } from '../users/user-admin.js';
import type { VaultClient } from './client.js';
import { type KvMount, type KvMountResolver, secretPath } from './mounts.js';
import { vaultErrorText } from './error-text.js';
import type { VaultResponse } from './transport.js';

// Secrets read at once when a KV v2 listing checks which keys are live.
const READ_CONCURRENCY = 8;

export class VaultUserAdmin extends EntryAdmin {
  readonly #vault: VaultClient;
  readonly #mounts: KvMountResolver;
  readonly #address: string;
  /** KV v2: the version of each secret last read or written (0: none), for check-and-set. */
  readonly #versions = new Map<string, number>();

  constructor(parts: { vault: VaultClient; mounts: KvMountResolver; address: string }) {
    super();
    this.#vault = parts.vault;
    this.#mounts = parts.mounts;
    this.#address = parts.address;
  }

  describe(): string {
    return `Vault at ${this.#address}`;
  }

  async checkMount(mount: string): Promise<void> {
    await this.#kv(mount);
  }

  async close(): Promise<void> {
    this.#vault.close();
  }

  async #kv(mount: string): Promise<KvMount> {
    const found = await this.#mounts.resolve(mount);
    if (found.kind === 'kv') return found.mount;
    throw new AdminError(describeMountProblem(mount, found.why));
  }

  protected async getEntry(kind: EntryKind, mount: string, name: string): Promise<SecretFields | null> {
    checkName(kind, name);
    const kv = await this.#kv(mount);
    const path = secretPath(kv, segmentsOf(kind, name));
    const response = await this.#vault.call('GET', path);
    const data = (response.body as { data?: unknown } | null)?.data;
    if (response.status === 200) {
      if (kv.version === 1) return isMapping(data) ? data : {};
      const { data: fields, metadata } = (isMapping(data) ? data : {}) as { data?: unknown; metadata?: { version?: unknown } };
      this.#versions.set(path, Number(metadata?.version) || 0);
      return isMapping(fields) ? fields : null;
    }
    if (response.status === 404) {
      // KV v2 answers 404 for a deleted (not destroyed) version too, with its metadata.
      if (kv.version === 2) this.#versions.set(path, Number((data as { metadata?: { version?: unknown } } | undefined)?.metadata?.version) || 0);
      return null;
    }
    throw refusal(response, 'read', path, '"read"');
  }

  protected async putEntry(kind: EntryKind, mount: string, name: string, fields: SecretFields): Promise<void> {
    checkName(kind, name);
    const kv = await this.#kv(mount);
    const path = secretPath(kv, segmentsOf(kind, name));
    const version = this.#versions.get(path);
    const body = kv.version === 1 ? fields : { ...(version === undefined ? {} : { options: { cas: version } }), data: fields };
    const response = await this.#vault.call('POST', path, body);
    if (response.status === 200 || response.status === 204) {
      if (kv.version === 2) this.#versions.set(path, Number((response.body as { data?: { version?: unknown } } | null)?.data?.version) || 0);
      return;
    }
    if (response.status === 400 && kv.version === 2 && vaultErrorText(response, []).includes('check-and-set')) {
      throw new AdminError(`${path} was changed by someone else while this command ran: nothing was written, run the command again`);
    }
    // The password hash we sent never reaches the message, whatever Vault says.
    throw refusal(response, 'update', path, '"create" and "update"', [String(fields.password ?? '')]);
  }

  protected async deleteEntry(kind: EntryKind, mount: string, name: string): Promise<boolean> {
    if ((await this.getEntry(kind, mount, name)) === null) return false;
    const kv = await this.#kv(mount);
    const data = secretPath(kv, segmentsOf(kind, name));
    // KV v2: deleting the metadata removes every version, so the name is gone completely.
    const path = kv.version === 2 ? secretPath(kv, segmentsOf(kind, name), 'metadata') : data;
    const response = await this.#vault.call('DELETE', path);
    this.#versions.delete(data);
    if (response.status === 200 || response.status === 204) return true;
    if (response.status === 404) return false;
    throw refusal(response, 'delete', path, '"delete"');
  }

  protected async listEntries(kind: EntryKind, mount: string): Promise<string[]> {
    const kv = await this.#kv(mount);
    const folder = secretPath(kv, kind === 'group' ? [GROUPS_FOLDER] : [], 'metadata');
    const path = folder.endsWith('/') ? folder : `${folder}/`;
    const response = await this.#vault.call('GET', `${path}?list=true`);
    if (response.status === 404) return [];
    if (response.status !== 200) throw refusal(response, 'list', path, '"list"');
    const keys = (response.body as { data?: { keys?: unknown } } | null)?.data?.keys;
    // Folders (`_groups/`, or other folders of the mount) are not users; `_` names are reserved.
    const names = (Array.isArray(keys) ? keys : []).filter((key): key is string => typeof key === 'string' && nameProblem(kind, key) === null);
    if (kv.version === 1) return sortNames(names);
    // KV v2 lists deleted (not destroyed) secrets too: keep only the live ones, as the server sees them.
    const live = await mapLimit(names, READ_CONCURRENCY, async (name) => ((await this.getEntry(kind, mount, name)) === null ? null : name));
    return sortNames(live.filter((name): name is string => name !== null));
  }
}

/** Where a user or group is below the service's folder: for a user, exactly where the server reads it. */
function segmentsOf(kind: EntryKind, name: string): string[] {
  return kind === 'user' ? [name] : [GROUPS_FOLDER, name];
}

function refusal(response: VaultResponse, operation: string, path: string, capabilities: string, sent: readonly string[] = []): AdminError {
  if (response.status === 403) return new AdminError(`Vault denied ${operation} on ${path}: the token's policy needs ${capabilities} on it`);
  const errors = vaultErrorText(response, sent);
  return new AdminError(`Vault refused ${operation} on ${path} (status ${response.status})${errors ? `: ${errors}` : ''}`);
}

function describeMountProblem(mount: string, why: 'reserved' | 'missing' | 'denied' | 'not-kv'): string {
  switch (why) {
    case 'reserved':
      return `${mount} is one of Vault's own paths, never a user store`;
    case 'missing':
      return `there is no mount ${mount} in Vault (enable one with: vault secrets enable -path=${mount.split('/')[0]} kv)`;
    case 'not-kv':
      return `the mount ${mount} is not a KV secrets engine`;
    case 'denied':
      // Vault answers so for a mount that does not exist as well, whatever the token.
      return (
        `Vault denied read on sys/internal/ui/mounts/${mount}: there is no mount ${mount}, or the token's policy gives it ` +
        `no capability on ${mount}/* (KV v1) or ${mount}/data/* and ${mount}/metadata/* (KV v2)`
      );
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
