/**
 * Puts the pieces together for `serve`: logger, user store, signing key and
 * the HTTP(S) server with its timeouts. Everything slow or fallible (files,
 * keys) happens here, once, before the first request.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import type { Config, HttpTlsConfig, VaultStorageConfig } from './config/config.js';
import { createApp } from './http/app.js';
import { PasswordVerifier } from './passwords/verifier.js';
import { ciNames, serviceLogins } from './logins/service-logins.js';
import { onceEach } from './util/report-once.js';
import { answerClientError, answerConnect } from './http/client-error.js';
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
import { MetricsListenError } from './http/metrics-server.js';
import { type MetricsRuntime, metricsOf, openMetrics, rememberMetrics } from './observers/metrics-runtime.js';
import { readiness } from './observers/readiness.js';
import { VaultHealth } from './observers/vault-health.js';
import { startAuditLog } from './observers/audit-log.js';
import { clientAddressFrom } from './http/client-address.js';
import { startThrottle } from './throttle/start.js';
import { loadTlsPair, secureContextOptions, type TlsPair, watchTlsPair } from './http/https-certificate.js';
import { CachingUserStore } from './users/caching-user-store.js';
import { type Clock, systemClock } from './util/clock.js';
import { announceSlowStep, type SlowStepOptions } from './util/slow-step.js';
import { type RequestListener, trackInFlight } from './reload/in-flight.js';
import { type DrainResult, drainServer } from './reload/shutdown.js';
import { secretFilesOf } from './config/secret-files.js';
import { warnExposedFiles } from './util/file-permissions.js';

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  /** The fields of the `listening` log line (url, realm, users, alg, kid, published). */
  readonly details: Readonly<Record<string, unknown>>;
  /** This app's request handler; a reload (src/reload/) swaps it on the server for the next app's. */
  readonly listener: RequestListener;
  /**
   * Stops the server gracefully within http.shutdown_timeout (`cut` > 0:
   * connections had to be cut), then closes this app's keys and stores.
   * After a reload, called on the app in use (whichever app made the server).
   */
  close(): Promise<DrainResult>;
  /** A reload's old app: waits for its requests in flight, then closes its keys and stores; the server serves on. */
  release(): Promise<void>;
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
  /**
   * A reload (src/reload/): build the app for this server, already listening,
   * without touching it (no listen, no settings, no listener added: the
   * caller swaps `listener` in).
   */
  readonly server?: http.Server;
  /** A reload with a changed Vault config: a failed Vault login refuses it (StartupError) instead of starting anyway. */
  readonly requireVaultLogin?: boolean;
  /** After how long a slow start-up step (Vault login, mount check, keys) is announced (default 2 s; src/util/slow-step.ts). */
  readonly slowStepNoticeMs?: number;
  /** In a cluster worker: /metrics answers with the primary's sum over workers, and the primary listens on metrics.addr. */
  readonly metricsFromPrimary?: boolean;
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
  await warnExposedFiles(secretFilesOf(config), logger);
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log);
  const announce = options.announce ?? ((text: string) => process.stdout.write(`${text}\n`));
  const clock = options.clock ?? systemClock;
  const events = options.events ?? new ServerEvents();
  // A reload's trial login: its failure is told once, in the refusal, not
  // as an outage of the server (whose old app serves on).
  if (!options.requireVaultLogin) logEvents(events, logger);
  // --- health (issue 9, item 1): Vault's state from its events, for /readyz and vra_vault_up; made before Vault is opened, to see the first login ---
  const vaultHealth = config.storage.kind === 'vault' ? new VaultHealth(events, clock) : null;
  // --- end health ---
  // --- audit (issue 9, item 3): one JSON line per token decision, on its own stream ---
  const audit = await startAuditLog(config.audit, events, { clock, logger }).catch((error: unknown) => {
    throw new StartupError((error as Error).message);
  });
  // --- end audit ---

  // One Vault client for users and keys. The keys first: a start that fails
  // on them must not have created users.
  const slow = { logger, ...(options.slowStepNoticeMs === undefined ? {} : { noticeMs: options.slowStepNoticeMs }) };
  const storage = config.storage;
  const vault =
    storage.kind === 'vault'
      ? await announceSlowStep(`logging in to Vault at ${storage.address}`, () => openVault(storage, clock, events, options.requireVaultLogin ?? false), slow)
      : null;
  if (options.requireVaultLogin) logEvents(events, logger);
  const keys = await announceSlowStep('loading the signing keys', () => openKeys(config, vault, logger), slow).catch((error: unknown) => {
    vault?.close();
    throw error;
  });
  // --- secret files (issue 10, item 5): a key or Vault credential file others may read is said at each start and reload; a cluster's primary says it once for its workers ---
  if (!cluster.isWorker) await warnExposedFiles(secretFilesOf(config), logger);
  // --- end secret files ---
  const users = await openUserStore(config, vault, { logger, announce, clock, events, slow });
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
  // --- directory logins (issue 11): each service's ways of checking a password ---
  const logins = serviceLogins({
    logins: config.logins,
    verifier,
    vault,
    timeoutMs: storage.kind === 'vault' ? storage.timeoutMs : 0,
    rememberMs: config.cache.ttlMs,
    maxRemembered: config.cache.maxEntries,
    clock,
    onRevokeFailed: onceEach<string>((mount) => logger.warn('a directory login token could not be revoked; it ends at its own TTL', { mount })),
    // Why Vault said no (never the password or token): a misconfigured auth method or role shows here.
    onRefused: (path, status, reason) => logger.debug('Vault refused a login', { path, status, reason }),
  });
  // --- end directory logins ---
  // --- throttle (issue 9, items 4 and 5): the client's address through trusted proxies; failed logins slow guessing down ---
  const clientAddress = clientAddressFrom(config.http.trustedProxies ?? []);
  const throttle = await startThrottle(config.throttle, { events, clock, logger, isCiName: ciNames(config.logins) });
  // --- end throttle ---
  // --- metrics (issue 9, item 2): kept by the listening server, so a reload's app counts on in the same registry ---
  const metrics = config.metrics.enabled ? (metricsOf(options.server) ?? (await openMetricsOrFail(config, options.metricsFromPrimary ?? false))) : undefined;
  metrics?.metrics.attach({ config, events, keySet: keys, vault: vaultHealth });
  const health = readiness({ keySet: keys, vault: vaultHealth, cache: config.cache, clock });
  // --- end metrics ---
  const app = createApp({
    config,
    users,
    verifier,
    logins,
    signer,
    logger,
    clock,
    events,
    health,
    ...(metrics ? { metrics } : {}),
    clientAddress,
    ...(throttle ? { throttle: throttle.guard } : {}),
  });
  // Counted, so that a reload closes this app's stores only after its last request.
  const requests = trackInFlight(app.callback());

  // Bounded everywhere: a slow or silent client cannot hold a connection.
  // Node checks the request and header timeouts every 30 s by default, so a
  // slow client would be held that long: check often enough that the
  // configured timeout holds to within a second.
  const limits = {
    requestTimeout: config.http.timeoutMs,
    headersTimeout: config.http.headerTimeoutMs,
    connectionsCheckingInterval: Math.min(500, config.http.headerTimeoutMs),
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // More gets a 431 (src/http/client-error.ts).
    maxHeaderSize: config.http.maxHeaderBytes,
    // Node's own check answers an empty 400; the app answers it in JSON (src/http/middleware/request-headers.ts).
    requireHostHeader: false,
  };
  // A reload keeps the listening server (its socket never closes); only the
  // request listener changes, swapped by the caller.
  const reusing = options.server !== undefined;
  const server = options.server ?? (config.http.tls ? await createHttpsServer(config.http.tls, limits, logger) : http.createServer(limits));
  if (metrics && !reusing) rememberMetrics(server, metrics);
  if (!reusing) {
    server.on('request', requests.listener);
    server.on('clientError', answerClientError);
    server.on('connect', answerConnect);
    // An Expect other than 100-continue: Node would answer an empty 417; the
    // app (whichever a reload has put in) answers it in JSON instead.
    server.on('checkExpectation', (request, response) => server.emit('request', request, response));
    // The idle timeout is a backstop, later than what it backs: than
    // http.timeout as Node checks it (every connectionsCheckingInterval), so
    // that a client gone silent mid-request gets its 408 rather than a cut
    // connection; and than the wait for Vault, so that a slow Vault ends in
    // our 503 rather than in a connection cut first.
    const storageTimeoutMs = config.storage.kind === 'vault' ? config.storage.timeoutMs : 0;
    server.setTimeout(Math.max(config.http.timeoutMs + limits.connectionsCheckingInterval + 1_000, storageTimeoutMs + 1_000));

    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException): void =>
        reject(new StartupError(`http.addr: cannot listen on ${config.http.host ?? ''}:${config.http.port}: ${error.code ?? error.message}`));
      server.once('error', fail);
      server.listen(config.http.port, config.http.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
  }
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

  // This app's own resources; the server is not among them (a reload's next app serves on it).
  const releaseApp = async (): Promise<void> => {
    keys.close();
    await users.close();
    await audit.close();
    await throttle?.close();
  };
  return {
    url,
    server,
    details,
    listener: requests.listener,
    async release() {
      // A reload's old app: its requests end (each bounded by http.timeout) while the next app serves.
      await requests.idle(config.http.timeoutMs + config.http.shutdownTimeoutMs);
      await releaseApp();
    },
    async close() {
      const result = await drainServer(server, requests, { timeoutMs: config.http.shutdownTimeoutMs, logger });
      await releaseApp();
      // The metrics belong to the server (a reload's app counts on in them): they close with it.
      await metrics?.close();
      return result;
    },
  };
}

interface StoreContext {
  readonly slow: SlowStepOptions;
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
async function openVaultStore(
  config: Config,
  storage: VaultStorageConfig,
  vault: VaultClient,
  { logger, clock, events, slow }: StoreContext,
): Promise<UserStore> {
  if (config.services === null) {
    logger.warn('no services list configured: any KV mount the Vault token can read is reachable as a service');
  }
  const mounts = new KvMountResolver(vault, { kvVersion: storage.kvVersion, ttlMs: storage.mountTtlMs, clock });
  const store = new VaultUserStore({ vault, mounts, events, timeoutMs: storage.timeoutMs, address: storage.address });
  const checked = config.services ? [...new Set(config.services.values())] : [];
  for (const problem of await announceSlowStep('checking the Vault mounts of the services', () => store.check(checked), slow)) {
    logger.error(`Vault configuration: ${problem}`);
  }
  return config.cache.ttlMs > 0 ? new CachingUserStore(store, config.cache, clock, events) : store;
}

/** The one Vault client (pool, login, renewal, breaker), logged in; Vault being down does not stop the start. */
async function openVault(storage: VaultStorageConfig, clock: Clock, events: ServerEvents, loginRequired: boolean): Promise<VaultClient> {
  let vault: VaultClient;
  try {
    vault = await openVaultClient(storage, clock, events);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  // start() never throws (Vault may come up after us); a reload to a changed
  // Vault config must not swap in a client that cannot log in.
  let failure: string | null = null;
  const onLost = ({ reason }: { reason: string }): void => {
    failure = reason;
  };
  events.on('vault.lost', onLost);
  try {
    await vault.start();
  } finally {
    events.off('vault.lost', onLost);
  }
  if (loginRequired && failure !== null) {
    vault.close();
    throw new StartupError(`storage.vault: cannot log in to Vault at ${storage.address}: ${failure}`);
  }
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

/**
 * The HTTPS server, its pair checked first (a start with a key of another
 * certificate fails here, not at the first handshake), then watched: a
 * changed pair is served without a restart, until the server closes.
 */
async function createHttpsServer(tls: HttpTlsConfig, limits: http.ServerOptions, logger: Logger): Promise<https.Server> {
  let pair: TlsPair;
  try {
    pair = await loadTlsPair(tls);
  } catch (error) {
    throw new StartupError(`http.tls.certificate and http.tls.key (${tls.certificate}, ${tls.key}): ${(error as Error).message}`);
  }
  const server = https.createServer({ ...limits, ...secureContextOptions(pair, tls) });
  const stopWatching = watchTlsPair(server, tls, pair, logger);
  server.once('close', stopWatching);
  return server;
}

/** The metrics, with their own listener when metrics.addr is set; an address that cannot be listened on fails the start. */
async function openMetricsOrFail(config: Config, fromPrimary: boolean): Promise<MetricsRuntime> {
  try {
    return await openMetrics(config, fromPrimary);
  } catch (error) {
    throw error instanceof MetricsListenError ? new StartupError(error.message) : error;
  }
}

/** A start-up failure whose message is meant for the operator as it is. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
