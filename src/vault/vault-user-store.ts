/** Users kept in Vault KV: the secret `<mount>/<user>` with `password` and `access`. */
import type { Logger } from 'winston';
import { toUserRecord, type UserRecord, type UserStore } from '../users/user-store.js';
import { createVaultClient, type VaultReader } from './client.js';
import { KvMountResolver, userSecretPath } from './mounts.js';
import type { VaultStorageConfig } from '../config/config.js';

export class VaultUserStore implements UserStore {
  readonly #vault: VaultReader;
  readonly #mounts: KvMountResolver;
  readonly #logger: Logger;
  readonly #address: string;

  constructor(config: VaultStorageConfig, logger: Logger, vault: VaultReader = createVaultClient(config)) {
    this.#vault = vault;
    this.#mounts = new KvMountResolver(vault, config.kvVersion);
    this.#logger = logger;
    this.#address = config.address;
  }

  async lookup(mount: string, account: string): Promise<UserRecord | null> {
    const kv = await this.#mounts.resolve(mount);
    const path = userSecretPath(kv, account);
    const answer = await this.#vault.read(path);
    if (!answer.found) {
      // 404 is simply "no such user"; anything else means our token may not
      // read the mount, which an operator needs to hear about.
      if (answer.status !== 404) this.#logger.warn('vault refused to read a user', { mount, status: answer.status, errors: answer.errors });
      return null;
    }
    const body = answer.body as { data?: { data?: unknown } & Record<string, unknown> };
    const record = toUserRecord(kv.version === 2 ? body.data?.data : body.data);
    if (!record) this.#logger.warn('user entry in vault has no password field', { mount, account });
    return record;
  }

  describe(): string {
    return `vault at ${this.#address}`;
  }

  async close(): Promise<void> {
    this.#vault.close();
  }
}
