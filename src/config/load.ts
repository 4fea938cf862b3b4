/**
 * Reads, validates and resolves the configuration file, once, at start-up.
 * Every problem is reported with the key it concerns, all at once.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import type { core } from 'zod';
import { configSchema, type ConfigFile, throttleSchema } from './schema.js';
import { checkAccess } from '../domain/access.js';
import { templateForChecking } from '../domain/claims-template.js';
import { DEFAULT_KUBERNETES_JWT_FILE } from '../vault/auth/kubernetes.js';
import type { Config, LoginWayConfig, ServiceLogins, TokenKeysConfig, VaultAuthConfig, VaultTlsConfig } from './config.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`invalid configuration in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The environment variables read, as Vault's own tools read them. */
export interface ConfigEnv {
  readonly VAULT_ADDR?: string | undefined;
  readonly VAULT_TOKEN?: string | undefined;
  readonly VAULT_NAMESPACE?: string | undefined;
  readonly VAULT_CACERT?: string | undefined;
  readonly VAULT_CAPATH?: string | undefined;
  readonly VAULT_CLIENT_CERT?: string | undefined;
  readonly VAULT_CLIENT_KEY?: string | undefined;
  readonly VAULT_TLS_SERVER_NAME?: string | undefined;
  readonly VAULT_SKIP_VERIFY?: string | undefined;
  /** Not Vault CLI variables, but named like them: AppRole credentials for the server. */
  readonly VAULT_ROLE_ID?: string | undefined;
  readonly VAULT_SECRET_ID?: string | undefined;
}

// Go's strconv.ParseBool false values: Vault's CLI reads VAULT_SKIP_VERIFY so.
const FALSE_VALUES = new Set(['', '0', 'f', 'F', 'false', 'FALSE', 'False']);

export function loadConfigFile(file: string, env: ConfigEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file });
  } catch (error) {
    throw new ConfigError(file, [`not valid YAML: ${yamlProblem(error)}`]);
  }
  return parseConfig(document ?? {}, path.dirname(path.resolve(file)), env, file);
}

/**
 * js-yaml's reason and position, without the excerpt of the file its
 * message ends with: those lines may hold auth_token or role_id, and this
 * message goes to stderr and, on a reload, to the log.
 */
function yamlProblem(error: unknown): string {
  const { reason, mark } = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (typeof reason !== 'string' || typeof mark?.line !== 'number' || typeof mark.column !== 'number') return 'the file could not be parsed';
  return `${reason} (line ${mark.line + 1}, column ${mark.column + 1})`;
}

export function parseConfig(document: unknown, baseDir: string, env: ConfigEnv = {}, source = 'configuration'): Config {
  const parsed = configSchema.safeParse(document);
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(describeIssue));
  const problems: string[] = [];
  const config = resolve(parsed.data, baseDir, env, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

function describeIssue(issue: core.$ZodIssue): string {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${key ? `${key}.` : ''}${shownKey(k)} is not a known key`).join('; ');
  }
  return `${key || '(top level)'} ${issue.message}`;
}

/** An unknown key as typed, quoted unless plain: `"timeout\u00a0"` (pasted with a no-break space) or `" "` would read as nothing. */
function shownKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/u.test(key) ? key : JSON.stringify(key);
}

function resolve(file: ConfigFile, baseDir: string, env: ConfigEnv, problems: string[]): Config {
  const fromBase = (p: string): string => path.resolve(baseDir, p);
  return {
    baseDir,
    log: { level: file.log.level, ...(file.log.file ? { file: fromBase(file.log.file) } : {}) },
    storage: resolveStorage(file, env, fromBase, problems),
    passwords: { hash: file.passwords.hash },
    cache: {
      ttlMs: file.cache.ttl,
      // Unknown users remembered as long as known ones: otherwise the time of
      // an answer tells whether a name exists (a second probe after 5 s).
      negativeTtlMs: file.cache.negative_ttl ?? file.cache.ttl,
      staleMs: file.cache.stale,
      maxEntries: file.cache.max_entries,
    },
    workers: file.http.workers === 'auto' ? os.availableParallelism() : file.http.workers,
    http: {
      ...parseListenAddress(file.http.addr, problems),
      timeoutMs: file.http.timeout,
      shutdownTimeoutMs: file.http.shutdown_timeout,
      ...(file.http.tls
        ? { tls: { certificate: fromBase(file.http.tls.certificate), key: fromBase(file.http.tls.key), minVersion: file.http.tls.min_version ?? 'TLSv1.2' } }
        : {}),
      ...resolveLimits(file.http, problems),
      realmPaths: [...new Set(Array.isArray(file.http.realm) ? file.http.realm : [file.http.realm])],
      ...(file.http.trusted_proxies?.length ? { trustedProxies: file.http.trusted_proxies } : {}),
    },
    token: {
      issuer: file.token.issuer,
      expirationSeconds: file.token.expiration,
      keys: resolveTokenKeys(file, fromBase, problems),
      kid: file.token.kid,
      x5c: file.token.x5c,
      refreshExpirationSeconds: file.token.refresh_expiration,
    },
    services: file.services ? resolveServices(file.services, problems) : null,
    anonymous: resolveAnonymous(file.services, problems),
    logins: resolveLogins(file.services, file.storage.vault === undefined, problems),
    audit: resolveAudit(file.audit?.output ?? 'stderr', fromBase),
    metrics: resolveMetrics(file, problems),
    throttle: resolveThrottle(file.throttle ?? throttleSchema.parse({}), problems),
  };
}

function resolveStorage(file: ConfigFile, env: ConfigEnv, fromBase: (p: string) => string, problems: string[]): Config['storage'] {
  const { vault, file: fileStore } = file.storage;
  if (vault && fileStore) problems.push('storage must have either vault or file, not both');
  if (fileStore && !vault) return { kind: 'file', path: fromBase(fileStore.path) };
  if (!vault) {
    problems.push('storage must have vault (or file)');
    return { kind: 'file', path: '' };
  }
  // As with Vault's own tools, VAULT_ADDR and VAULT_TOKEN override the file.
  let address = env.VAULT_ADDR || vault.addr;
  if (!address && (vault.host || vault.port || vault.proto)) {
    if (!vault.host) problems.push('storage.vault.host is required with proto and port');
    address = `${vault.proto ?? 'http'}://${vault.host ?? ''}:${vault.port ?? 8200}`;
  }
  address = (address || 'http://127.0.0.1:8200').replace(/\/+$/u, '');
  if (!/^https?:\/\/[^/]+$/u.test(address))
    problems.push(`storage.vault.addr must be a URL such as https://vault.example.com:8200 (got ${JSON.stringify(address)})`);
  if (env.VAULT_SKIP_VERIFY !== undefined && !FALSE_VALUES.has(env.VAULT_SKIP_VERIFY)) {
    problems.push(
      "VAULT_SKIP_VERIFY is not supported: Vault's TLS certificate is always verified. Set VAULT_CACERT (or storage.vault.tls.ca_cert) to the CA that signed it instead",
    );
  }
  const namespace = env.VAULT_NAMESPACE || vault.namespace;
  return {
    kind: 'vault',
    address,
    auth: resolveVaultAuth(vault, env, fromBase, problems),
    ...(namespace ? { namespace } : {}),
    tls: resolveVaultTls(vault.tls ?? {}, env, fromBase),
    kvVersion: vault.kv_version,
    timeoutMs: vault.timeout,
    mountTtlMs: vault.mount_ttl,
    breaker: { threshold: vault.circuit_breaker.failures, cooldownMs: vault.circuit_breaker.cooldown },
  };
}

type VaultFile = NonNullable<ConfigFile['storage']['vault']>;

const AUTH_KEYS: Readonly<Record<string, readonly string[]>> = {
  token: ['token_file'],
  approle: ['mount', 'role_id', 'role_id_file', 'secret_id_file'],
  kubernetes: ['mount', 'role', 'jwt_file'],
};

function resolveVaultAuth(vault: VaultFile, env: ConfigEnv, fromBase: (p: string) => string, problems: string[]): VaultAuthConfig {
  const auth = vault.auth ?? { method: 'token' as const };
  const { method } = auth;
  for (const [key, value] of Object.entries(auth)) {
    if (key !== 'method' && value !== undefined && !AUTH_KEYS[method]?.includes(key)) {
      problems.push(`storage.vault.auth.${key} is not used with method ${method}`);
    }
  }
  if (method !== 'token' && vault.auth_token) problems.push(`storage.vault.auth_token is only used with method token (storage.vault.auth.method is ${method})`);
  const file = (value: string, key: string) => ({ file: fromBase(value), key });

  if (method === 'approle') {
    const roleId = env.VAULT_ROLE_ID
      ? { value: env.VAULT_ROLE_ID }
      : auth.role_id
        ? { value: auth.role_id }
        : auth.role_id_file
          ? file(auth.role_id_file, 'storage.vault.auth.role_id_file')
          : null;
    const secretId = env.VAULT_SECRET_ID
      ? { value: env.VAULT_SECRET_ID }
      : auth.secret_id_file
        ? file(auth.secret_id_file, 'storage.vault.auth.secret_id_file')
        : null;
    if (auth.role_id && auth.role_id_file) problems.push('storage.vault.auth.role_id and role_id_file: give one, not both');
    if (!roleId) problems.push('storage.vault.auth.role_id (or role_id_file, or VAULT_ROLE_ID) is required with method approle');
    if (!secretId) problems.push('storage.vault.auth.secret_id_file (or VAULT_SECRET_ID) is required with method approle');
    return { method, mount: auth.mount ?? 'approle', roleId: roleId ?? { value: '' }, secretId: secretId ?? { value: '' } };
  }
  if (method === 'kubernetes') {
    if (!auth.role) problems.push('storage.vault.auth.role is required with method kubernetes');
    return { method, mount: auth.mount ?? 'kubernetes', role: auth.role ?? '', jwtFile: auth.jwt_file ? fromBase(auth.jwt_file) : DEFAULT_KUBERNETES_JWT_FILE };
  }
  // token: a file (a Vault Agent sink) when configured, else VAULT_TOKEN, else auth_token.
  if (auth.token_file) return { method, token: file(auth.token_file, 'storage.vault.auth.token_file') };
  const token = env.VAULT_TOKEN || vault.auth_token;
  if (!token) problems.push('storage.vault.auth_token is required (or set VAULT_TOKEN, or storage.vault.auth.token_file)');
  return { method: 'token', token: { value: token ?? '' } };
}

function resolveVaultTls(tls: NonNullable<VaultFile['tls']>, env: ConfigEnv, fromBase: (p: string) => string): VaultTlsConfig {
  // Environment values are paths as the operator typed them (relative to the
  // working folder); the file's are relative to the file's folder.
  const pick = (envName: keyof ConfigEnv, value: string | undefined, key: string) => {
    const fromEnv = env[envName];
    if (fromEnv) return { path: path.resolve(fromEnv), key: envName };
    return value ? { path: fromBase(value), key: `storage.vault.tls.${key}` } : undefined;
  };
  const caCert = pick('VAULT_CACERT', tls.ca_cert, 'ca_cert');
  const caPath = pick('VAULT_CAPATH', tls.ca_path, 'ca_path');
  const clientCert = pick('VAULT_CLIENT_CERT', tls.client_cert, 'client_cert');
  const clientKey = pick('VAULT_CLIENT_KEY', tls.client_key, 'client_key');
  const serverName = env.VAULT_TLS_SERVER_NAME || tls.server_name;
  return {
    ...(caCert ? { caCert: { file: caCert.path, key: caCert.key } } : {}),
    ...(caPath ? { caPath: { dir: caPath.path, key: caPath.key } } : {}),
    ...(clientCert ? { clientCert: { file: clientCert.path, key: clientCert.key } } : {}),
    ...(clientKey ? { clientKey: { file: clientKey.path, key: clientKey.key } } : {}),
    ...(serverName ? { serverName } : {}),
  };
}

const DEFAULT_KEY_RELOAD_MS = 30_000;

/** Keys from files (Godoauth's token.key and token.certificate) or from Vault (token.vault_path), not both. */
function resolveTokenKeys(file: ConfigFile, fromBase: (p: string) => string, problems: string[]): TokenKeysConfig {
  const { key, certificate, published, vault_path: vaultPath, reload, generate } = file.token;
  if (vaultPath !== undefined) {
    for (const [name, value] of Object.entries({ key, certificate, published })) {
      if (value !== undefined) problems.push(`token.${name} is not used with token.vault_path: the keys are read from Vault (give one or the other)`);
    }
    if (generate) problems.push('token.generate is not used with token.vault_path: write the keys to Vault (see keys generate)');
    if (!file.storage.vault) problems.push("token.vault_path needs storage.vault: the keys are read with the server's Vault client");
    return { from: 'vault', path: vaultPath, reloadMs: reload ?? DEFAULT_KEY_RELOAD_MS };
  }
  if (reload !== undefined) problems.push('token.reload is only used with token.vault_path (key files are read again on a change or SIGHUP, see Reload)');
  if (key === undefined) problems.push('token.key is required (the PEM private key file), or token.vault_path');
  if (certificate === undefined) problems.push('token.certificate is required (the PEM certificate of token.key), or token.vault_path');
  return { from: 'files', key: fromBase(key ?? ''), certificate: fromBase(certificate ?? ''), published: (published ?? []).map(fromBase), generate };
}

function resolveServices(services: NonNullable<ConfigFile['services']>, problems: string[]): Map<string, string> {
  const map = new Map<string, string>();
  services.forEach((service, index) => {
    if (map.has(service.name)) problems.push(`services.${index}.name repeats the service ${JSON.stringify(service.name)}`);
    map.set(service.name, service.mount ?? service.name);
  });
  return map;
}

/**
 * service → its ways of checking a password. Vault ways need Vault storage;
 * a CI login's access template is checked like an access string (each
 * `${claims.NAME}` standing for a plain name); `kv` at most once; two CI
 * logins may not share a user name (the second could never be reached).
 */
function resolveLogins(services: ConfigFile['services'], fileStorage: boolean, problems: string[]): Map<string, ServiceLogins> {
  const map = new Map<string, ServiceLogins>();
  (services ?? []).forEach((service, index) => {
    if (service.logins === undefined && service.groups_from === undefined) return;
    const where = `services.${index}.logins`;
    const ways = (service.logins ?? ['kv']).map((way, position): LoginWayConfig => {
      if (way === 'kv') return { kind: 'kv' };
      if (fileStorage) problems.push(`${where}.${position}: Vault logins need storage.vault (the embedded file store has no Vault)`);
      if ('vault_auth' in way) return { kind: 'vault_auth', mount: way.vault_auth };
      const access = way.access ?? '';
      const checked = checkAccess(templateForChecking(access));
      if (!checked.ok) problems.push(`${where}.${position}.access: ${checked.problems.join('; ')}`);
      return { kind: 'vault_jwt', mount: way.vault_jwt, role: way.role, username: way.username, access };
    });
    if (ways.filter((way) => way.kind === 'kv').length > 1) problems.push(`${where} lists kv more than once`);
    const ciNames = ways.flatMap((way) => (way.kind === 'vault_jwt' ? [way.username] : []));
    if (new Set(ciNames).size < ciNames.length) problems.push(`${where}: two vault_jwt logins share a username (only the first would ever be asked)`);
    map.set(service.name, { ways, groupsFrom: service.groups_from ?? 'policies' });
  });
  return map;
}

/** service → its configured anonymous access string, each checked like any access string. */
function resolveAnonymous(services: ConfigFile['services'], problems: string[]): Map<string, string> {
  const map = new Map<string, string>();
  (services ?? []).forEach((service, index) => {
    if (service.anonymous === undefined || service.anonymous.trim() === '') return;
    const checked = checkAccess(service.anonymous);
    if (!checked.ok) problems.push(`services.${index}.anonymous: ${checked.problems.join('; ')}`);
    else map.set(service.name, service.anonymous);
  });
  return map;
}

/** Metrics on the main port must not hide an endpoint; on their own address, any path. */
function resolveMetrics(file: ConfigFile, problems: string[]): Config['metrics'] {
  const { enabled, addr, path: metricsPath } = file.metrics;
  if (addr === undefined) {
    const realms = Array.isArray(file.http.realm) ? file.http.realm : [file.http.realm];
    const taken = [...realms, '/certs', '/jwks', '/healthz', '/readyz'];
    if (enabled && taken.includes(metricsPath))
      problems.push(`metrics.path ${metricsPath} is already an endpoint of the main port: choose another, or set metrics.addr`);
    return { enabled, path: metricsPath };
  }
  const before = problems.length;
  const listen = parseListenAddress(addr, problems);
  if (problems.length > before)
    problems.splice(before, problems.length - before, `metrics.addr must be an address such as :9102 or 127.0.0.1:9102 (got ${JSON.stringify(addr)})`);
  return { enabled, path: metricsPath, listen };
}

// --- limits (issue 9, item 7) ---
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
// Node's own default: enough for any registry client's headers, and a bound on what one request costs.
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

function resolveLimits(http: ConfigFile['http'], problems: string[]): Pick<Config['http'], 'headerTimeoutMs' | 'keepAliveTimeoutMs' | 'maxHeaderBytes'> {
  // Default as before: the request's timeout, at most a minute.
  const headerTimeoutMs = http.header_timeout ?? Math.min(http.timeout, 60_000);
  // Node refuses a headers timeout longer than the request's: the headers are part of the request.
  if (headerTimeoutMs > http.timeout) problems.push('http.header_timeout must not be longer than http.timeout (the headers are part of the request)');
  return {
    headerTimeoutMs,
    keepAliveTimeoutMs: http.keep_alive_timeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderBytes: http.max_header_size ?? DEFAULT_MAX_HEADER_BYTES,
  };
}
// --- end limits ---

/** `audit.output`: stderr, stdout, off, or a file path relative to the config file like every other path. */
function resolveAudit(output: string, fromBase: (p: string) => string): Config['audit'] {
  if (output === 'stderr' || output === 'stdout' || output === 'off') return { output };
  return { output: 'file', file: fromBase(output) };
}

// --- throttle (issue 9, item 4) ---
function resolveThrottle(throttle: NonNullable<ConfigFile['throttle']>, problems: string[]): Config['throttle'] {
  if (throttle.block > throttle.max_block) problems.push('throttle.block must not be longer than throttle.max_block');
  return {
    enabled: throttle.enabled,
    failures: { ...throttle.failures },
    windowMs: throttle.window,
    blockMs: throttle.block,
    maxBlockMs: throttle.max_block,
    ...(throttle.redis ? { redis: { url: throttle.redis.url } } : {}),
  };
}
// --- end throttle ---

/** `:5002`, `5002`, `127.0.0.1:5002` or `[::1]:5002`. */
function parseListenAddress(addr: string, problems: string[]): { host?: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*))?:?(\d+)$/u.exec(addr.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`http.addr must be an address such as :5002 or 127.0.0.1:5002 (got ${JSON.stringify(addr)})`);
    return { port: 0 };
  }
  const host = match[1] ?? match[2];
  return host ? { host, port } : { port };
}
