/**
 * Properties of the configuration loader (src/config/): whatever the file
 * holds, reading it ends in a Config or in a ConfigError whose problems each
 * name a key, never in another exception; a value that breaks a valid file
 * is reported under its own key (or the section holding it); and a valid
 * document written back to YAML, in any style, loads to the same Config.
 * fast-check, bounded runs: a few seconds.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { checkAccess } from '../../src/domain/access.js';
import { accessString, hostileString } from '../helpers/arbitraries.js';

let dir: string;
let file = 0;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-config-property-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Writes `text` to a file of its own and loads it as `serve` does (no environment). */
async function load(text: string): Promise<ReturnType<typeof loadConfigFile>> {
  file += 1;
  const written = path.join(dir, `config-${file}.yml`);
  await writeFile(written, text);
  return loadConfigFile(written, {});
}

/** Every key path of the schema (`http.tls.key`, `services.0.name`…), read from the schema itself so none is forgotten. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodDefault) inner = inner.def.innerType as z.ZodType;
    else break;
  }
  const own = prefix ? [prefix] : [];
  if (inner instanceof z.ZodObject) {
    return [...own, ...Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => keyPaths(value, prefix ? `${prefix}.${key}` : key))];
  }
  if (inner instanceof z.ZodArray) return [...own, ...keyPaths(inner.element as z.ZodType, `${prefix}.0`)];
  return own;
}

const KEY_PATHS = keyPaths(configSchema);
const TOP_LEVEL_KEYS = KEY_PATHS.filter((key) => !key.includes('.'));

/** What a YAML file can hold: scalars (NaN and the infinities, dates), sequences, mappings with known and odd keys. */
const yamlValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -70_000, max: 70_000 }),
    fc.double(),
    fc.constantFrom('', '0', '5s', '1m30s', '-1s', '16KiB', '0.1', 'auto', 'true', 'http://127.0.0.1:8200', '/auth', ':5002', 'registry', '~', '1e400'),
    hostileString,
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom(...TOP_LEVEL_KEYS, 'path', 'vault', 'file', 'name', '__proto__', 'constructor'), fc.string({ maxLength: 6 })),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/** The key path a problem starts with, as segments (an odd key is quoted); [] for "(top level)". */
function keySegments(problem: string): string[] {
  if (problem.startsWith('(top level)')) return [];
  const quoted = /^((?:[^ ."]+\.)*)("(?:[^"\\]|\\.)*")(?= )/u.exec(problem);
  if (quoted) return [...(quoted[1] ?? '').split('.').filter((part) => part !== ''), JSON.parse(quoted[2] as string) as string];
  return problem.slice(0, problem.indexOf(' ')).split('.');
}

const keyOf = (problem: string): string => keySegments(problem).join('.');

function parsed(document: unknown): { config: unknown } | { problems: readonly string[] } {
  try {
    return { config: parseConfig(document, dir, {}) };
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.ok(error.problems.length > 0);
    return { problems: error.problems };
  }
}

test('any document: a Config, or a ConfigError whose every problem starts with the key it is about', () => {
  fc.assert(
    fc.property(yamlValue, (document) => {
      const result = parsed(document);
      if (!('problems' in result)) return;
      const present = typeof document === 'object' && document !== null && !Array.isArray(document) ? Object.keys(document) : [];
      for (const problem of result.problems) {
        const top = keySegments(problem)[0];
        assert.ok(top === undefined || TOP_LEVEL_KEYS.includes(top) || present.includes(top), `${JSON.stringify(problem)} names no key`);
      }
    }),
    { numRuns: 400 },
  );
});

test('any text as the file: loadConfigFile ends in a Config or a ConfigError', async () => {
  const text = fc.oneof(
    hostileString,
    yamlValue.map((value) => yaml.dump(value, { skipInvalid: true })),
    fc.constantFrom('a: [', '{', ': :', '- - -', '&a [*a]', '!!js/function "x"', 'storage: !!binary aGk=', '<<: {storage: 1}', 'x: |\n  y\n z'),
  );
  await fc.assert(
    fc.asyncProperty(text, async (content) => {
      try {
        await load(content);
      } catch (error) {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
      }
    }),
    { numRuns: 200 },
  );
});

// --- a valid file with one value replaced -------------------------------------------------------

const TOKEN = { issuer: 'vra', expiration: 300, certificate: 'token.pem', key: 'token.key', published: ['next.pem'] };
const BASES: Record<string, Record<string, unknown>> = {
  file: {
    storage: { file: { path: 'users.yml' } },
    token: TOKEN,
    services: [{ name: 'registry', anonymous: 'repository:a:pull' }],
    http: { trusted_proxies: ['10.0.0.0/8'] },
  },
  vault: { storage: { vault: { addr: 'http://127.0.0.1:8200', auth_token: 'hvs.x' } }, token: TOKEN, throttle: { redis: { url: 'redis://localhost:6379' } } },
};

/** `document` with `value` at `key` (a dotted path, `.0` for a list's first item), the sections on the way made if missing. */
function withValue(document: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(document);
  const parts = key.split('.');
  let at: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    at[part] = typeof next === 'object' && next !== null ? next : /^\d+$/u.test(parts[parts.indexOf(part) + 1] ?? '') ? [] : {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1) as string] = value;
  return copy;
}

test('a valid file with any value at any known key: loaded, or refused with a problem naming that key or its section', () => {
  for (const base of Object.values(BASES)) assert.ok('config' in parsed(base), 'the bases are valid');
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(BASES)), fc.constantFrom(...KEY_PATHS), yamlValue, (base, key, value) => {
      const result = parsed(withValue(BASES[base] as Record<string, unknown>, key, value));
      if (!('problems' in result)) return;
      const section = key.split('.').slice(0, -1).join('.');
      // The key itself, a key inside it, the section holding it (or one above), or a key of that section.
      const names = (problem: string) =>
        problem.includes(key) || key.startsWith(`${keyOf(problem)}.`) || (section !== '' && keyOf(problem).startsWith(`${section}.`));
      assert.ok(result.problems.some(names), `${key} = ${JSON.stringify(value)}: ${JSON.stringify(result.problems)}`);
    }),
    { numRuns: 1000 },
  );
});

// --- valid documents, written back to YAML ----------------------------------------------------

const duration = fc.oneof(fc.integer({ min: 1, max: 3600 }), fc.constantFrom('5s', '1m30s', '800ms', '2h', '1m', '30s', '10s'));
const durationOrZero = fc.oneof(fc.constant(0), duration);
const filePath = fc.constantFrom('users.yml', '../data/users.yml', '/etc/vra/file.pem', 'certs/a b.pem', 'é/x.pem', '0.1', 'true', 'null', '2020-01-01');
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Drops the keys whose value is undefined (YAML would write them as null). */
function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

const storage = fc.oneof(
  filePath.map((p) => ({ file: { path: p } })),
  fc
    .record({
      addr: optional(fc.constantFrom('http://127.0.0.1:8200', 'https://vault.example.com:8200')),
      auth_token: fc.constantFrom('hvs.secret', 'root', '0123'),
      namespace: optional(fc.constantFrom('team-a', 'a/b')),
      kv_version: optional(fc.constantFrom('auto', 1, 2)),
      timeout: optional(duration),
      mount_ttl: optional(duration),
      circuit_breaker: optional(fc.record({ failures: fc.integer({ min: 1, max: 10 }), cooldown: duration })),
      tls: optional(fc.record({ ca_cert: filePath, server_name: fc.constantFrom('vault.internal') }, { requiredKeys: [] })),
    })
    .map((vault) => ({ vault: defined(vault) })),
);

const validDocument = fc
  .record({
    version: optional(fc.constantFrom('0.1', 0.1, 1, '1.10')),
    log: optional(fc.record({ level: fc.constantFrom('error', 'warn', 'info', 'debug'), file: filePath }, { requiredKeys: ['level'] })),
    storage,
    passwords: optional(fc.record({ hash: fc.constantFrom('argon2id', 'bcrypt') })),
    cache: optional(
      fc.record(
        { ttl: durationOrZero, negative_ttl: durationOrZero, stale: durationOrZero, max_entries: fc.integer({ min: 1, max: 1_000_000 }) },
        { requiredKeys: [] },
      ),
    ),
    http: optional(
      fc
        .record(
          {
            addr: fc.constantFrom(':5002', '127.0.0.1:5002', '[::1]:5002', '5002', '0'),
            timeout: fc.constantFrom('5s', 10, '1m'),
            header_timeout: fc.constantFrom('1s', 2, '5s'),
            keep_alive_timeout: duration,
            max_header_size: fc.oneof(fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom('16KiB', '1MiB', '8KB', '1MB')),
            realm: fc.oneof(fc.constantFrom('/auth', '/token'), fc.uniqueArray(fc.constantFrom('/auth', '/auth/token', '/v2/token'), { minLength: 1 })),
            workers: fc.oneof(fc.constant('auto'), fc.integer({ min: 1, max: 64 })),
            trusted_proxies: fc.uniqueArray(fc.constantFrom('10.0.0.0/8', 'loopback', '::1', '192.168.1.1', 'uniquelocal'), { maxLength: 3 }),
            shutdown_timeout: duration,
            tls: fc.record(
              { certificate: filePath, key: filePath, min_version: fc.constantFrom('TLSv1.2', 'TLSv1.3') },
              { requiredKeys: ['certificate', 'key'] },
            ),
          },
          { requiredKeys: [] },
        )
        .map(defined),
    ),
    token: fc
      .record(
        {
          issuer: fc.constantFrom('vault-registry-auth', 'Issuer: with colon', 'yes', '123'),
          expiration: fc.oneof(fc.integer({ min: 60, max: 86_400 }), fc.constantFrom('5m', '1h', '60s')),
          certificate: filePath,
          key: filePath,
          published: fc.array(filePath, { maxLength: 2 }),
          kid: fc.constantFrom('thumbprint', 'libtrust'),
          x5c: fc.boolean(),
          generate: fc.boolean(),
          refresh_expiration: fc.oneof(fc.integer({ min: 60, max: 10_000_000 }), fc.constantFrom('2160h', '24h')),
        },
        { requiredKeys: ['issuer', 'expiration', 'certificate', 'key'] },
      )
      .map(defined),
    services: optional(
      fc.uniqueArray(
        fc
          .record(
            {
              name: fc.constantFrom('registry', 'other', 'a.b', 'yes', '2'),
              mount: fc.constantFrom('registry', 'secret/team', 'kv'),
              anonymous: accessString.filter((text) => checkAccess(text).ok),
            },
            { requiredKeys: ['name'] },
          )
          .map(defined),
        { minLength: 1, maxLength: 3, selector: (service) => service.name },
      ),
    ),
    metrics: optional(
      fc.record({ enabled: fc.boolean(), path: fc.constantFrom('/metrics', '/m'), addr: fc.constantFrom(':9102', '127.0.0.1:9102') }, { requiredKeys: [] }),
    ),
    audit: optional(fc.record({ output: fc.constantFrom('stderr', 'stdout', 'off', 'audit.log', 'logs/audit.jsonl') })),
    throttle: optional(
      fc.record(
        {
          enabled: fc.boolean(),
          failures: fc.record({ pair: fc.nat(20), client: fc.nat(100), account: fc.nat(1000) }, { requiredKeys: [] }),
          window: duration,
          block: fc.constantFrom('1m', 30, '10s'),
          max_block: fc.constantFrom('1h', 3600, '2h'),
          redis: fc.record({ url: fc.constantFrom('redis://redis:6379/0', 'rediss://:p%40ss@r.example.com:6380/1') }),
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map((document) => {
    const written = defined(document);
    // A rule across keys of a valid file: the headers' timeout within the request's.
    const http = written.http as Record<string, unknown> | undefined;
    if (http?.header_timeout !== undefined) http.timeout = '1m';
    return written;
  });

const dumpStyle = fc.record({
  flowLevel: fc.constantFrom(-1, 0, 1, 2),
  forceQuotes: fc.boolean(),
  quotingType: fc.constantFrom<"'" | '"'>("'", '"'),
  lineWidth: fc.constantFrom(-1, 20, 80),
  noCompatMode: fc.boolean(),
  sortKeys: fc.boolean(),
  indent: fc.constantFrom(2, 4),
});

test('a valid document written back to YAML, in any style, loads to the same Config', async () => {
  await fc.assert(
    fc.asyncProperty(validDocument, dumpStyle, async (document, style) => {
      const direct = parsed(document);
      assert.ok('config' in direct, `the generator made an invalid document: ${JSON.stringify(direct)}`);
      assert.deepEqual(await load(yaml.dump(document, style)), direct.config);
    }),
    { numRuns: 200 },
  );
});
