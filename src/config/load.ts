/**
 * Reads, validates and resolves the configuration file, once, at start-up.
 * Every problem is reported with the key it concerns, all at once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { core } from 'zod';
import { configSchema, type ConfigFile } from './schema.js';
import type { Config } from './config.js';

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
}

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
    throw new ConfigError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  return parseConfig(document ?? {}, path.dirname(path.resolve(file)), env, file);
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
    return issue.keys.map((k) => `${key ? `${key}.` : ''}${k} is not a known key`).join('; ');
  }
  return `${key || '(top level)'} ${issue.message}`;
}

function resolve(file: ConfigFile, baseDir: string, env: ConfigEnv, problems: string[]): Config {
  const fromBase = (p: string): string => path.resolve(baseDir, p);
  return {
    baseDir,
    log: { level: file.log.level, ...(file.log.file ? { file: fromBase(file.log.file) } : {}) },
    storage: resolveStorage(file, env, fromBase, problems),
    http: {
      ...parseListenAddress(file.http.addr, problems),
      timeoutMs: file.http.timeout,
      ...(file.http.tls ? { tls: { certificate: fromBase(file.http.tls.certificate), key: fromBase(file.http.tls.key) } } : {}),
      realmPaths: [...new Set(Array.isArray(file.http.realm) ? file.http.realm : [file.http.realm])],
    },
    token: {
      issuer: file.token.issuer,
      expirationSeconds: file.token.expiration,
      certificate: fromBase(file.token.certificate),
      key: fromBase(file.token.key),
      kid: file.token.kid,
      x5c: file.token.x5c,
      generate: file.token.generate,
    },
    services: file.services ? resolveServices(file.services, problems) : null,
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
  const token = env.VAULT_TOKEN || vault.auth_token;
  if (!token) problems.push('storage.vault.auth_token is required (or set VAULT_TOKEN)');
  return { kind: 'vault', address, token: token ?? '', kvVersion: vault.kv_version, timeoutMs: vault.timeout };
}

function resolveServices(services: NonNullable<ConfigFile['services']>, problems: string[]): Map<string, string> {
  const map = new Map<string, string>();
  services.forEach((service, index) => {
    if (map.has(service.name)) problems.push(`services.${index}.name repeats the service ${JSON.stringify(service.name)}`);
    map.set(service.name, service.mount ?? service.name);
  });
  return map;
}

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
