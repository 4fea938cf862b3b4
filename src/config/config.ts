/** The validated, resolved configuration the rest of the server reads. */
import type { KeyIdFormat } from '../domain/key-id.js';
import type { HashAlgorithm } from '../passwords/formats.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** A secret given as a value (config or environment), or as a file read when needed. */
export type SecretSetting = { readonly value: string } | { readonly file: string; readonly key: string };

export type VaultAuthConfig =
  | { readonly method: 'token'; readonly token: SecretSetting }
  | { readonly method: 'approle'; readonly mount: string; readonly roleId: SecretSetting; readonly secretId: SecretSetting }
  | { readonly method: 'kubernetes'; readonly mount: string; readonly role: string; readonly jwtFile: string };

export interface VaultTlsConfig {
  /** CA certificate files (VAULT_CACERT) and folders of them (VAULT_CAPATH), each with the key it came from. */
  readonly caCert?: { readonly file: string; readonly key: string };
  readonly caPath?: { readonly dir: string; readonly key: string };
  readonly clientCert?: { readonly file: string; readonly key: string };
  readonly clientKey?: { readonly file: string; readonly key: string };
  readonly serverName?: string;
}

export interface VaultStorageConfig {
  readonly kind: 'vault';
  /** Base address, e.g. http://127.0.0.1:8200 (no trailing slash). */
  readonly address: string;
  readonly auth: VaultAuthConfig;
  readonly namespace?: string;
  readonly tls: VaultTlsConfig;
  readonly kvVersion: 'auto' | 1 | 2;
  /** Deadline of each Vault call, and of one user lookup as a whole. */
  readonly timeoutMs: number;
  /** How long a mount's KV version is remembered. */
  readonly mountTtlMs: number;
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number };
}

export interface CacheConfig {
  /** 0: no cache (every request reads the store). */
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly staleMs: number;
  readonly maxEntries: number;
}

export interface FileStorageConfig {
  readonly kind: 'file';
  readonly path: string;
}

/**
 * The key set's source: files read once at start (`token.key`,
 * `token.certificate`, `token.published`), or a Vault KV secret read again
 * every `reloadMs` (`token.vault_path`, `token.reload`).
 */
export type TokenKeysConfig =
  | {
      readonly from: 'files';
      readonly key: string;
      readonly certificate: string;
      /** Certificate files of keys that only verify. */
      readonly published: readonly string[];
      /** Make key and certificate when both are missing (the embedded default). */
      readonly generate: boolean;
    }
  | { readonly from: 'vault'; readonly path: string; readonly reloadMs: number };

/** `http.tls`: HTTPS with this pair, read again when either file changes. */
export interface HttpTlsConfig {
  readonly certificate: string;
  readonly key: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** `audit.output`: where the audit log's lines go (a file is opened for append, shared by worker processes). */
export type AuditConfig = { readonly output: 'stderr' | 'stdout' | 'off' } | { readonly output: 'file'; readonly file: string };

export interface Config {
  /** Folder of the config file: relative paths were resolved against it. */
  readonly baseDir: string;
  readonly log: { readonly level: LogLevel; readonly file?: string };
  readonly storage: VaultStorageConfig | FileStorageConfig;
  readonly cache: CacheConfig;
  /** How new passwords are hashed (CLI, first start), and the kind of dummy hash unknown users are checked against. */
  readonly passwords: { readonly hash: HashAlgorithm };
  /** Processes serving HTTP (`http.workers`; auto = os.availableParallelism()). 1 = the one process, no cluster. */
  readonly workers: number;
  readonly http: {
    readonly host?: string;
    readonly port: number;
    readonly timeoutMs: number;
    /** `http.shutdown_timeout`: SIGTERM waits this long for requests in flight, then cuts them (exit code 1). */
    readonly shutdownTimeoutMs: number;
    readonly tls?: HttpTlsConfig;
    // --- limits (issue 9, item 7) ---
    /** `http.header_timeout`: the request line and headers must arrive within this (default: http.timeout). */
    readonly headerTimeoutMs: number;
    /** `http.keep_alive_timeout`: an idle kept-alive connection is closed after this (default 5 s). */
    readonly keepAliveTimeoutMs: number;
    /** `http.max_header_size`: request line and headers together, in bytes (default 16 KiB, Node's); more gets a 431. */
    readonly maxHeaderBytes: number;
    // --- end limits ---
    readonly realmPaths: readonly string[];
    /** `http.trusted_proxies`: whose X-Forwarded-For names the client (absent: none, the socket's address). */
    readonly trustedProxies?: readonly string[];
  };
  readonly token: {
    readonly issuer: string;
    readonly expirationSeconds: number;
    /** Where the signing keys come from (files, or a Vault secret). */
    readonly keys: TokenKeysConfig;
    readonly kid: KeyIdFormat;
    readonly x5c: boolean;
    /** Lifetime of refresh tokens (default 90 days). */
    readonly refreshExpirationSeconds: number;
  };
  /** service name → storage mount; null when any service may be asked for. */
  readonly services: ReadonlyMap<string, string> | null;
  /** service name → the access string of requests without credentials, from the config. */
  readonly anonymous: ReadonlyMap<string, string>;
  /** service name → how it checks passwords (`services[].logins`); a service not in it: `kv` only. */
  readonly logins: ReadonlyMap<string, ServiceLogins>;
  /** The audit log: one JSON line per token decision (`audit.output`, default stderr). */
  readonly audit: AuditConfig;
  /** Prometheus metrics (`metrics`): on the main port at `path`, or on a listener of their own (`addr`). */
  readonly metrics: MetricsConfig;
  /** Throttling of password guessing (`throttle`). */
  readonly throttle: ThrottleConfig;
}

/** `throttle`: how failed logins slow down and lock out guessing (src/throttle/). */
export interface ThrottleConfig {
  readonly enabled: boolean;
  /** Failures before a block: one account from one address, one address, one account; 0 = that counter off. */
  readonly failures: { readonly pair: number; readonly client: number; readonly account: number };
  readonly windowMs: number;
  /** The first block; each next one doubles, up to maxBlockMs. */
  readonly blockMs: number;
  readonly maxBlockMs: number;
  /** Counters shared by every replica (absent: this server's processes only). */
  readonly redis?: { readonly url: string };
}

export interface MetricsConfig {
  readonly enabled: boolean;
  readonly path: string;
  /** `metrics.addr`: a listener of its own (then not on the main port). */
  readonly listen?: { readonly host?: string; readonly port: number };
}

/** One way of checking a password (`services[].logins`), in order. */
export type LoginWayConfig =
  | { readonly kind: 'kv' }
  | { readonly kind: 'vault_auth'; readonly mount: string }
  | { readonly kind: 'vault_jwt'; readonly mount: string; readonly role: string; readonly username: string; readonly access: string };

export interface ServiceLogins {
  readonly ways: readonly LoginWayConfig[];
  /** Where a directory user's groups come from (`services[].groups_from`, default policies). */
  readonly groupsFrom: 'policies' | 'metadata' | 'identity_groups';
}
