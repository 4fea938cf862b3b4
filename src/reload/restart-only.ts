/**
 * Settings a reload cannot apply: the listening socket (http.addr), the
 * number of worker processes, HTTP or HTTPS and the server's timeouts and
 * limits are fixed when the server is created, the logger is made once, and
 * the metrics belong to the server (they count on across reloads). A reload
 * keeps the running values of these and names the ones that differ, so the
 * operator knows a restart is needed for them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/config.js';

export interface KeptSettings {
  /** The new configuration with the restart-only settings of the running one. */
  readonly config: Config;
  /** The config keys that changed but need a restart (empty: everything applies). */
  readonly kept: readonly string[];
}

type HttpConfig = Config['http'];

/**
 * The http settings each app reads for itself (its routes, who may name the
 * client, how long a stop waits); every other http setting is the server's.
 * An allow-list: a new http setting is restart-only until shown otherwise.
 */
const PER_APP_HTTP: ReadonlySet<string> = new Set<keyof HttpConfig>(['realmPaths', 'trustedProxies', 'shutdownTimeoutMs']);

/** The config file's name of an http setting (Config's are camelCase, some with a unit). */
const HTTP_KEY_NAMES: Readonly<Record<string, string>> = {
  host: 'http.addr',
  port: 'http.addr',
  timeoutMs: 'http.timeout',
  tls: 'http.tls',
  headerTimeoutMs: 'http.header_timeout',
  keepAliveTimeoutMs: 'http.keep_alive_timeout',
  maxHeaderBytes: 'http.max_header_size',
};

export function keepRestartOnly(running: Config, next: Config): KeptSettings {
  const kept = new Set<string>();
  const http: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(running.http), ...Object.keys(next.http)])) {
    const from = PER_APP_HTTP.has(key) ? next.http : running.http;
    const value = (from as unknown as Record<string, unknown>)[key];
    // exactOptionalPropertyTypes: an absent key stays absent, not undefined.
    if (value !== undefined) http[key] = value;
    if (
      !PER_APP_HTTP.has(key) &&
      !isDeepStrictEqual((running.http as unknown as Record<string, unknown>)[key], (next.http as unknown as Record<string, unknown>)[key])
    ) {
      kept.add(HTTP_KEY_NAMES[key] ?? `http.${key.replace(/[A-Z]/gu, (letter) => `_${letter.toLowerCase()}`)}`);
    }
  }
  if (running.workers !== next.workers) kept.add('http.workers');
  if (!isDeepStrictEqual(running.log, next.log)) kept.add('log');
  if (!isDeepStrictEqual(running.metrics, next.metrics)) kept.add('metrics');
  return {
    config: { ...next, workers: running.workers, log: running.log, metrics: running.metrics, http: http as unknown as HttpConfig },
    kept: [...kept].sort(),
  };
}

/**
 * Key files are made only on the first start (token.generate): a reload
 * that finds them gone must refuse, not sign with a new key nobody trusts.
 */
export function withoutKeyGeneration(config: Config): Config {
  if (config.token.keys.from !== 'files' || !config.token.keys.generate) return config;
  return { ...config, token: { ...config.token, keys: { ...config.token.keys, generate: false } } };
}

/** The files whose change triggers a reload: the config file and the key files it names. */
export function watchedFiles(configFile: string, config: Config): string[] {
  const keys = config.token.keys;
  return [configFile, ...(keys.from === 'files' ? [keys.key, keys.certificate, ...keys.published] : [])];
}
