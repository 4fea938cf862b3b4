/**
 * Finds out whether a service's mount is a KV store and of which version,
 * through the endpoint Vault's own CLI uses for that
 * (`sys/internal/ui/mounts/<path>`). Nothing but KV mounts is ever read: a
 * service naming `sys`, `auth`, `identity`, a PKI or transit mount, or
 * anything the token cannot see, is not a user store.
 *
 * Answers are kept for a TTL, so a mount re-enabled with another KV version
 * is picked up without a restart; when Vault is unavailable the last known
 * answer for a KV mount keeps serving. Bounded: a flood of made-up service
 * names evicts old entries rather than growing the map.
 */
import { LRUCache } from 'lru-cache';
import { isAppError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import type { VaultClient } from './client.js';

export interface KvMount {
  /** The mount's own path with a trailing slash, e.g. `registry/`. */
  readonly root: string;
  /** The folder inside the mount where the users are ('' for the mount itself). */
  readonly prefix: string;
  readonly version: 1 | 2;
}

export type MountLookup =
  | { readonly kind: 'kv'; readonly mount: KvMount }
  | { readonly kind: 'none'; readonly why: 'reserved' | 'missing' | 'denied' | 'not-kv' };

// Vault's own API lives under these; they are never a user store.
const RESERVED = new Set(['sys', 'auth', 'identity', 'cubbyhole', 'v1']);
// An unknown mount is asked about again sooner than a known one.
const MAX_NEGATIVE_TTL_MS = 10_000;

export class KvMountResolver {
  readonly #vault: VaultClient;
  readonly #forcedVersion: 1 | 2 | undefined;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #known = new LRUCache<string, { lookup: MountLookup; at: number }>({ max: 1000 });

  constructor(vault: VaultClient, options: { kvVersion: 'auto' | 1 | 2; ttlMs: number; clock: Clock }) {
    this.#vault = vault;
    this.#forcedVersion = options.kvVersion === 'auto' ? undefined : options.kvVersion;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
  }

  async resolve(mount: string): Promise<MountLookup> {
    if (RESERVED.has(mount.split('/')[0] as string)) return { kind: 'none', why: 'reserved' };
    const known = this.#known.get(mount);
    const ttl = known?.lookup.kind === 'kv' ? this.#ttlMs : Math.min(this.#ttlMs, MAX_NEGATIVE_TTL_MS);
    if (known && this.#clock.now() - known.at < ttl) return known.lookup;
    let lookup: MountLookup;
    try {
      lookup = await this.#detect(mount);
    } catch (error) {
      if (isAppError(error, 'UNAVAILABLE') && known?.lookup.kind === 'kv') return known.lookup;
      throw error;
    }
    this.#known.set(mount, { lookup, at: this.#clock.now() });
    return lookup;
  }

  async #detect(mount: string): Promise<MountLookup> {
    const answer = await this.#vault.read(`sys/internal/ui/mounts/${mount}`);
    if (answer.kind === 'denied') return { kind: 'none', why: 'denied' };
    if (answer.kind === 'missing') return { kind: 'none', why: 'missing' };
    const data = (answer.body as { data?: { type?: unknown; path?: unknown; options?: { version?: unknown } | null } }).data;
    if (!data || (data.type !== 'kv' && data.type !== 'generic') || typeof data.path !== 'string') return { kind: 'none', why: 'not-kv' };
    const root = data.path.endsWith('/') ? data.path : `${data.path}/`;
    const prefix = `${mount}/`.startsWith(root) ? `${mount}/`.slice(root.length).replace(/\/$/u, '') : '';
    const detected = String(data.options?.version ?? '1') === '2' ? 2 : 1;
    return { kind: 'kv', mount: { root, prefix, version: this.#forcedVersion ?? detected } };
  }
}

/** The Vault path of one user's secret in a KV mount. */
export function userSecretPath(mount: KvMount, account: string): string {
  return secretPath(mount, [account]);
}

/** The Vault path of a secret at `segments` (each escaped) below the mount's users' folder. */
export function secretPath(mount: KvMount, segments: readonly string[], kind: 'data' | 'metadata' = 'data'): string {
  const key = [mount.prefix, ...segments.map(encodeURIComponent)].filter((part) => part.length > 0).join('/');
  return mount.version === 2 ? `${mount.root}${kind}/${key}` : `${mount.root}${key}`;
}
