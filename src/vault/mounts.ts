/**
 * Finds out, once per mount, whether a service's mount is a KV store and of
 * which version, through the endpoint Vault's own CLI uses for that
 * (`sys/internal/ui/mounts/<path>`). Nothing but KV mounts is ever read: a
 * service naming `sys`, `auth`, `identity`, a PKI or transit mount, or
 * anything the token cannot see, is refused as an unknown service.
 */
import { unknownService } from '../errors.js';
import type { VaultReader } from './client.js';

export interface KvMount {
  /** The mount's own path with a trailing slash, e.g. `registry/`. */
  readonly root: string;
  /** The folder inside the mount where the users are ('' for the mount itself). */
  readonly prefix: string;
  readonly version: 1 | 2;
}

// Vault's own API lives under these; they are never a user store.
const RESERVED = new Set(['sys', 'auth', 'identity', 'cubbyhole', 'v1']);

export class KvMountResolver {
  readonly #vault: VaultReader;
  readonly #forcedVersion: 1 | 2 | undefined;
  // Only successes are kept: a mount added later must be found, and a
  // failure caused by an outage must be tried again.
  readonly #known = new Map<string, KvMount>();

  constructor(vault: VaultReader, kvVersion: 'auto' | 1 | 2) {
    this.#vault = vault;
    this.#forcedVersion = kvVersion === 'auto' ? undefined : kvVersion;
  }

  async resolve(mount: string): Promise<KvMount> {
    const known = this.#known.get(mount);
    if (known) return known;
    if (RESERVED.has(mount.split('/')[0] as string)) throw unknownService(mount);

    const answer = await this.#vault.read(`sys/internal/ui/mounts/${mount}`);
    if (!answer.found) throw unknownService(mount);
    const data = (answer.body as { data?: { type?: unknown; path?: unknown; options?: { version?: unknown } | null } }).data;
    if (!data || (data.type !== 'kv' && data.type !== 'generic') || typeof data.path !== 'string') throw unknownService(mount);

    const root = data.path.endsWith('/') ? data.path : `${data.path}/`;
    const prefix = `${mount}/`.startsWith(root) ? `${mount}/`.slice(root.length).replace(/\/$/u, '') : '';
    const detected = String(data.options?.version ?? '1') === '2' ? 2 : 1;
    const resolved: KvMount = { root, prefix, version: this.#forcedVersion ?? detected };
    this.#known.set(mount, resolved);
    return resolved;
  }
}

/** The Vault path of one user's secret in a KV mount. */
export function userSecretPath(mount: KvMount, account: string): string {
  const key = [mount.prefix, encodeURIComponent(account)].filter((part) => part.length > 0).join('/');
  return mount.version === 2 ? `${mount.root}data/${key}` : `${mount.root}${key}`;
}
