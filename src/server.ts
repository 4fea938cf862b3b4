/**
 * Puts the pieces together for `serve`: logger, user store, signing key and
 * the HTTP(S) server with its timeouts. Everything slow or fallible (files,
 * keys) happens here, once, before the first request.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import type { Config, VaultStorageConfig } from './config/config.js';
import { createApp } from './http/app.js';
import { PasswordVerifier } from './passwords/verifier.js';
import { onceEach } from './util/report-once.js';
import { answerClientError } from './http/client-error.js';
import { createLogger } from './logger.js';
import { generateSigningKeyFiles } from './tokens/generate.js';
import { createSigner } from './tokens/signer.js';
import { KeyFileError, loadKeyFiles } from './tokens/key-files.js';
import type { OpenKeySet } from './tokens/key-set.js';
import { openVaultKeySet, VaultKeySetError } from './tokens/vault-key-set.js';
import { createUserFileIfMissing } from './users/bootstrap.js';
import { FileUserStore } from './users/file-user-store.js';
import type { UserStore } from './users/user-store.js';
import type { VaultClient } from './vault/client.js';
import { KvMountResolver } from './vault/mounts.js';
import { openVaultClient } from './vault/open.js';
import { VaultUserStore } from './vault/vault-user-store.js';
import { ServerEvents } from './events.js';
import { logEvents } from './observers/log-events.js';
import { CachingUserStore } from './users/caching-user-store.js';
import { type Clock, systemClock } from './util/clock.js';

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  /** The fields of the `listening` log line (url, realm, users, alg, kid, published). */
  readonly details: Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** The server's events; tests pass their own to watch them. */
  readonly events?: ServerEvents;
  readonly clock?: Clock;
  /** Where a one-time message for the operator (the bootstrap password) goes. */
  readonly announce?: (text: string) => void;
  /** The ready line's message and extra fields (a cluster worker says `worker listening` with its pid). */
  readonly listening?: { readonly message: string; readonly fields?: Readonly<Record<string, unknown>> };
}

/**
 * What must happen once, before any worker process starts: make the key
 * files (token.generate) and check them, then create the first-start user
 * file, printing its password once. startServer does the same, finding it
 * done. Keys from Vault are left to the workers.
 */
export async function prepareFirstStart(config: Config, options: Pick<StartOptions, 'logger' | 'announce'> = {}): Promise<void> {
  const logger = options.logger ?? createLogger(config.log);
  const announce = options.announce ?? ((text: string) => process.stdout.write(`${text}\n`));
  if (config.token.keys.from === 'files') (await openKeys(config, null, logger)).close();
  if (config.storage.kind === 'file') await bootstrapUserFile(config, config.storage.path, announce);
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log);
  const announce = options.announce ?? ((text: string) => process.stdout.write(`${text}\n`));
  const clock = options.clock ?? systemClock;
  const events = options.events ?? new ServerEvents();
  logEvents(events, logger);

  // One Vault client for users and keys. The keys first: a start that fails
  // on them must not have created users.
  const vault = config.storage.kind === 'vault' ? await openVault(config.storage, clock, events) : null;
  const keys = await openKeys(config, vault, logger).catch((error: unknown) => {
    vault?.close();
    throw error;
  });
  const users = await openUserStore(config, vault, { logger, announce, clock, events });
  const signer = createSigner(keys, { x5c: config.token.x5c });
  const reportPlaintext = onceEach<string>((key) => {
    const [service, account] = key.split('\u0000');
    logger.warn(
      `the password of ${account} in ${service} is stored in plaintext: store a hash instead (vault-registry-auth user passwd ${service} ${account}, or htpasswd -nB ${account})`,
      { service, account },
    );
  });
  const verifier = await PasswordVerifier.create({
    dummyAlgorithm: config.passwords.hash,
    rememberMs: config.cache.ttlMs,
    maxRemembered: config.cache.maxEntries,
    clock,
    onPlaintext: (service, account) => reportPlaintext(`${service}\u0000${account}`),
  });
  const app = createApp({ config, users, verifier, signer, logger, clock, events });

  // Bounded everywhere: a slow or silent client cannot hold a connection.
  // Node checks the request and header timeouts every 30 s by default, so a
  // slow client would be held that long: check often enough that the
  // configured timeout holds to within a second.
  const limits = {
    requestTimeout: config.http.timeoutMs,
    headersTimeout: Math.min(config.http.timeoutMs, 60_000),
    connectionsCheckingInterval: Math.min(500, config.http.timeoutMs),
    keepAliveTimeout: 5_000,
  };
  const server = config.http.tls
    ? https.createServer({ ...limits, ...(await readTls(config.http.tls)) }, app.callback())
    : http.createServer(limits, app.callback());
  server.on('clientError', answerClientError);
  // The idle timeout also covers the wait for Vault, so a slow Vault ends in
  // our 503 rather than in a connection cut first.
  const storageTimeoutMs = config.storage.kind === 'vault' ? config.storage.timeoutMs : 0;
  server.setTimeout(Math.max(config.http.timeoutMs, storageTimeoutMs + 1_000));

  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(new StartupError(`http.addr: cannot listen on ${config.http.host ?? ''}:${config.http.port}: ${error.code ?? error.message}`));
    server.once('error', fail);
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${config.http.tls ? 'https' : 'http'}://${host}:${address.port}`;
  const details = {
    url,
    realm: config.http.realmPaths,
    users: users.describe(),
    alg: keys.active().alg,
    kid: keys.active().kid,
    published: keys
      .verifiers()
      .slice(1)
      .map((key) => key.kid),
  };
  logger.info(options.listening?.message ?? 'listening', { ...details, ...options.listening?.fields });

  return {
    url,
    server,
    details,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      keys.close();
      await users.close();
    },
  };
}

interface StoreContext {
  readonly logger: Logger;
  readonly announce: (text: string) => void;
  readonly clock: Clock;
  readonly events: ServerEvents;
}

async function openUserStore(config: Config, vault: VaultClient | null, context: StoreContext): Promise<UserStore> {
  if (config.storage.kind === 'vault') {
    // startServer opens the client whenever the storage is Vault.
    if (!vault) throw new Error('no Vault client for storage.vault');
    return openVaultStore(config, config.storage, vault, context);
  }
  await bootstrapUserFile(config, config.storage.path, context.announce);
  return new FileUserStore(config.storage.path);
}

async function bootstrapUserFile(config: Config, file: string, announce: (text: string) => void): Promise<void> {
  const firstService = config.services ? [...config.services.values()][0] : 'registry';
  const created = await createUserFileIfMissing(file, firstService ?? 'registry', config.passwords.hash);
  if (created) {
    announce(
      `Created ${file} with the user "${created.username}" and the password:\n\n    ${created.password}\n\n` +
        'It is shown only this once. Edit that file to add users.',
    );
  }
}

/**
 * The one Vault client (pool, login, renewal, breaker), the Vault user store
 * on it, and the cache in front. Start-up logs in and checks each configured
 * mount, saying clearly what the policy lacks; Vault being down does not
 * stop the start (the server answers 503 until it is back).
 */
async function openVaultStore(config: Config, storage: VaultStorageConfig, vault: VaultClient, { logger, clock, events }: StoreContext): Promise<UserStore> {
  if (config.services === null) {
    logger.warn('no services list configured: any KV mount the Vault token can read is reachable as a service');
  }
  const mounts = new KvMountResolver(vault, { kvVersion: storage.kvVersion, ttlMs: storage.mountTtlMs, clock });
  const store = new VaultUserStore({ vault, mounts, events, timeoutMs: storage.timeoutMs, address: storage.address });
  for (const problem of await store.check(config.services ? [...new Set(config.services.values())] : [])) {
    logger.error(`Vault configuration: ${problem}`);
  }
  return config.cache.ttlMs > 0 ? new CachingUserStore(store, config.cache, clock, events) : store;
}

/** The one Vault client (pool, login, renewal, breaker), logged in; Vault being down does not stop the start. */
async function openVault(storage: VaultStorageConfig, clock: Clock, events: ServerEvents): Promise<VaultClient> {
  let vault: VaultClient;
  try {
    vault = await openVaultClient(storage, clock, events);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  await vault.start();
  return vault;
}

/** The key set: files (made first for the embedded default), or the Vault secret, read again on a timer. */
async function openKeys(config: Config, vault: VaultClient | null, logger: Logger): Promise<OpenKeySet> {
  const source = config.token.keys;
  try {
    if (source.from === 'vault') {
      if (!vault) throw new StartupError('token.vault_path needs storage.vault');
      return await openVaultKeySet({ vault, path: source.path, reloadMs: source.reloadMs, kidFormat: config.token.kid, logger });
    }
    if (source.generate && !existsSync(source.key) && !existsSync(source.certificate)) {
      await generateSigningKeyFiles(source.key, source.certificate, config.token.issuer);
      logger.info('generated a signing key and certificate', { key: source.key, certificate: source.certificate });
    }
    return await loadKeyFiles(source, config.token.kid);
  } catch (error) {
    throw error instanceof VaultKeySetError || error instanceof KeyFileError ? new StartupError(error.message) : error;
  }
}

async function readTls(tls: { certificate: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certificate), key: await readFile(tls.key) };
  } catch (error) {
    throw new StartupError(`http.tls.certificate and http.tls.key (${tls.certificate}, ${tls.key}): ${describeFileError(error)}`);
  }
}

function describeFileError(error: unknown): string {
  const { code, path: file } = error as NodeJS.ErrnoException;
  return code === 'ENOENT' ? `no such file: ${file}` : (error as Error).message;
}

/** A start-up failure whose message is meant for the operator as it is. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
