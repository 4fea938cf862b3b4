/**
 * The configuration file's schema. It reads Godoauth's files unchanged
 * (`version`, `log`, `storage.vault.{proto,host,port,auth_token}`, `http`,
 * `token`) and adds keys in the same snake_case style. Every message names
 * the expected form; the loader prefixes it with the key's path.
 */
import { z } from 'zod';
import { parseDurationMs } from '../domain/duration.js';
import { parseByteSize } from '../domain/size.js';
import { checkPathSegment } from '../domain/names.js';
import { isTrustedProxy } from '../domain/trusted-proxies.js';

const text = (what = 'a non-empty string') => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

const durationMs = z.union([z.number(), z.string()], { error: 'must be a duration such as 5s, 1m30s or 800ms' }).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive duration such as 5s, 1m30s or 800ms' });
    return z.NEVER;
  }
  return ms;
});

/** A duration where 0 means "off". */
const durationOrZeroMs = z.union([z.number(), z.string()], { error: 'must be a duration such as 30s or 5m (0 turns it off)' }).transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s or 5m (0 turns it off)' });
    return z.NEVER;
  }
  return ms;
});

/** A size in bytes: a whole number, or with a unit such as 16KiB, 1MiB, 8KB. */
const byteSize = z.union([z.number(), z.string()], { error: 'must be a size such as 16KiB or 32768 (bytes)' }).transform((value, ctx) => {
  const bytes = parseByteSize(value);
  if (bytes === null || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive size such as 16KiB, 1MiB or 32768 (bytes)' });
    return z.NEVER;
  }
  return bytes;
});

const positiveInt = (what: string) =>
  z
    .number({ error: `must be ${what}` })
    .int({ error: `must be ${what}` })
    .min(1, { error: `must be ${what}` });

/** Token lifetime: whole seconds (Godoauth's form) or a duration. */
const expirationSeconds = z.union([z.number(), z.string()], { error: 'must be a positive integer (seconds)' }).transform((value, ctx) => {
  const seconds = typeof value === 'number' ? value : (parseDurationMs(value) ?? NaN) / 1000;
  if (!Number.isInteger(seconds) || seconds <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive integer (seconds) or a duration such as 5m' });
    return z.NEVER;
  }
  // Clients treat anything shorter as 60 s and would use an expired token.
  if (seconds < 60) {
    ctx.addIssue({ code: 'custom', message: 'must be at least 60 seconds' });
    return z.NEVER;
  }
  return seconds;
});

const port = z
  .number({ error: 'must be a port number (1-65535)' })
  .int({ error: 'must be a port number (1-65535)' })
  .min(1, { error: 'must be a port number (1-65535)' })
  .max(65535, { error: 'must be a port number (1-65535)' });

const segment = (what: string) =>
  text(what).superRefine((value, ctx) => {
    const check = checkPathSegment(value);
    if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
  });

const mountPath = text('a Vault mount path such as registry').refine((value) => value.split('/').every((part) => checkPathSegment(part).ok), {
  message: 'must be a mount path of plain segments separated by "/"',
});

/** A secret's path as `vault read` and the HTTP API name it (`secret/data/registry-token` for KV v2), without /v1/. */
const vaultApiPath = text('a Vault path such as secret/data/registry-token').refine(
  (value) => !value.startsWith('v1/') && value.split('/').every((part) => checkPathSegment(part).ok),
  { message: 'must be a Vault path such as secret/data/registry-token: plain segments separated by "/", without a leading "/" or "v1/"' },
);

// --- throttle (issue 9, items 4 and 5) ---
/** An address, a CIDR range, or one of proxy-addr's names for a kind of range. */
const trustedProxy = text('an address, a CIDR such as 10.0.0.0/8, or loopback, linklocal or uniquelocal').refine((value) => isTrustedProxy(value), {
  message: 'must be an address, a CIDR such as 10.0.0.0/8, or loopback, linklocal or uniquelocal',
});

const failureCount = z
  .number({ error: 'must be a whole number of failures (0 turns this counter off)' })
  .int({ error: 'must be a whole number of failures (0 turns this counter off)' })
  .min(0, { error: 'must be a whole number of failures (0 turns this counter off)' });

/** `throttle`: its defaults apply to a missing section too (load.ts parses `{}` with it). */
export const throttleSchema = z.strictObject(
  {
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    failures: z
      .strictObject(
        {
          pair: failureCount.default(5),
          client: failureCount.default(30),
          account: failureCount.default(100),
        },
        { error: 'must be a mapping with pair, client and account' },
      )
      .default({ pair: 5, client: 30, account: 100 }),
    window: durationMs.default(15 * 60_000),
    block: durationMs.default(60_000),
    max_block: durationMs.default(60 * 60_000),
    redis: z
      .strictObject(
        {
          url: z.url({ protocol: /^rediss?$/u, error: 'must be a URL such as redis://redis:6379/0 (or rediss:// for TLS)' }),
        },
        { error: 'must be a mapping with url' },
      )
      .optional(),
  },
  { error: 'must be a mapping' },
);
// --- end throttle ---

const realmPath = text('an absolute path such as /auth').refine((value) => /^\/[A-Za-z0-9._~/-]*$/u.test(value), {
  message: 'must be an absolute URL path such as /auth',
});

/**
 * One way of checking a password (`services[].logins`): `kv`, a Vault auth
 * method by its mount (`{vault_auth: ldap}`), or a CI login through Vault's
 * jwt method (`{vault_jwt: jwt, role, username, access}`).
 */
const loginWaySchema = z.union(
  [
    z.literal('kv'),
    z.strictObject({ vault_auth: mountPath }),
    z.strictObject({
      vault_jwt: mountPath,
      role: segment('the name of a role of the jwt auth method'),
      username: segment('the user name CI jobs send, such as ci'),
      access: z.string({ error: 'must be an access string; ${claims.NAME} stands for a claim of the token' }).optional(),
    }),
  ],
  { error: 'must be kv, {vault_auth: MOUNT} or {vault_jwt: MOUNT, role, username, access}' },
);

export const configSchema = z.strictObject(
  {
    version: z.union([z.string(), z.number()], { error: 'must be a version such as 0.1' }).optional(),
    log: z
      .strictObject(
        {
          level: z.enum(['error', 'warn', 'info', 'debug'], { error: 'must be one of error, warn, info, debug' }).default('info'),
          file: text('a file path').optional(),
        },
        { error: 'must be a mapping' },
      )
      .default({ level: 'info' }),
    storage: z.strictObject(
      {
        vault: z
          .strictObject(
            {
              proto: z.enum(['http', 'https'], { error: 'must be http or https' }).optional(),
              host: text('a host name or address').optional(),
              port: port.optional(),
              addr: z.url({ protocol: /^https?$/u, error: 'must be a URL such as https://vault.example.com:8200' }).optional(),
              auth_token: text('a Vault token').optional(),
              auth: z
                .strictObject(
                  {
                    method: z.enum(['token', 'approle', 'kubernetes'], { error: 'must be token, approle or kubernetes' }).default('token'),
                    token_file: text('a file path').optional(),
                    mount: mountPath.optional(),
                    role_id: text('an AppRole role_id').optional(),
                    role_id_file: text('a file path').optional(),
                    secret_id_file: text('a file path').optional(),
                    role: text('a Vault role name').optional(),
                    jwt_file: text('a file path').optional(),
                  },
                  { error: 'must be a mapping with method (token, approle or kubernetes)' },
                )
                .optional(),
              namespace: text('a Vault namespace such as team-a').optional(),
              tls: z
                .strictObject(
                  {
                    ca_cert: text('a file path').optional(),
                    ca_path: text('a folder path').optional(),
                    client_cert: text('a file path').optional(),
                    client_key: text('a file path').optional(),
                    server_name: text('a host name').optional(),
                  },
                  { error: 'must be a mapping' },
                )
                .optional(),
              mount_ttl: durationMs.default(60_000),
              circuit_breaker: z
                .strictObject(
                  {
                    failures: positiveInt('a positive whole number').default(3),
                    cooldown: durationMs.default(5000),
                  },
                  { error: 'must be a mapping with failures and cooldown' },
                )
                .default({ failures: 3, cooldown: 5000 }),
              kv_version: z.union([z.literal('auto'), z.literal(1), z.literal(2)], { error: 'must be auto, 1 or 2' }).default('auto'),
              timeout: durationMs.default(5000),
            },
            { error: 'must be a mapping' },
          )
          .optional(),
        file: z
          .strictObject(
            {
              path: text('a file path'),
            },
            { error: 'must be a mapping' },
          )
          .optional(),
      },
      { error: 'must be a mapping with vault or file' },
    ),
    http: z
      .strictObject(
        {
          addr: text('an address such as :5002 or 127.0.0.1:5002').default(':5002'),
          timeout: durationMs.default(5000),
          tls: z
            .strictObject(
              {
                certificate: text('a file path'),
                key: text('a file path'),
                // TLS 1.0 and 1.1 are broken (RFC 8996); 1.3 only for clients that all speak it.
                min_version: z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'must be TLSv1.2 or TLSv1.3' }).optional(),
              },
              { error: 'must be a mapping with certificate and key' },
            )
            .optional(),
          // --- limits (issue 9, item 7): optional here, their defaults are set in load.ts ---
          header_timeout: durationMs.optional(),
          keep_alive_timeout: durationMs.optional(),
          max_header_size: byteSize.optional(),
          // --- end limits ---
          realm: z
            .union([realmPath, z.array(realmPath).min(1, { error: 'must list at least one path' })], {
              error: 'must be a path or a list of paths',
            })
            .default(['/auth', '/auth/token']),
          // Worker processes sharing the port: auto = one per core; 1 = no workers, the one process serves.
          workers: z
            .union([z.literal('auto'), positiveInt('auto or a positive whole number')], { error: 'must be auto or a positive whole number' })
            .default('auto'),
          // --- throttle (issue 9, item 5): proxies whose X-Forwarded-For is believed; none by default ---
          trusted_proxies: z.array(trustedProxy, { error: 'must be a list of addresses or CIDRs' }).optional(),
          // --- reload/shutdown (issue 9, item 6): how long SIGTERM waits for requests in flight before cutting them ---
          shutdown_timeout: durationMs.default(10_000),
        },
        { error: 'must be a mapping' },
      )
      .default({ addr: ':5002', timeout: 5000, realm: ['/auth', '/auth/token'], workers: 'auto', shutdown_timeout: 10_000 }),
    token: z.strictObject(
      {
        issuer: text('the issuer name the registry expects'),
        expiration: expirationSeconds,
        // The active key: these two files (Godoauth's keys), or the Vault secret at vault_path.
        certificate: text('a file path').optional(),
        key: text('a file path').optional(),
        // Certificates of keys that only verify (the next one before a switch, the previous one after it).
        published: z.array(text('a file path'), { error: 'must be a list of certificate files' }).optional(),
        vault_path: vaultApiPath.optional(),
        reload: durationMs.optional(),
        kid: z.enum(['thumbprint', 'libtrust'], { error: 'must be thumbprint (registry v3) or libtrust (registry 2.x)' }).default('thumbprint'),
        x5c: z.boolean({ error: 'must be true or false' }).default(false),
        generate: z.boolean({ error: 'must be true or false' }).default(false),
        refresh_expiration: expirationSeconds.default(90 * 86_400),
      },
      { error: 'must be a mapping with issuer, expiration, and certificate and key (or vault_path)' },
    ),
    passwords: z
      .strictObject(
        {
          hash: z.enum(['argon2id', 'bcrypt'], { error: 'must be argon2id or bcrypt' }).default('argon2id'),
        },
        { error: 'must be a mapping' },
      )
      .default({ hash: 'argon2id' }),
    cache: z
      .strictObject(
        {
          ttl: durationOrZeroMs.default(30_000),
          negative_ttl: durationOrZeroMs.optional(),
          stale: durationOrZeroMs.default(300_000),
          max_entries: positiveInt('a positive whole number').default(100_000),
        },
        { error: 'must be a mapping' },
      )
      .default({ ttl: 30_000, stale: 300_000, max_entries: 100_000 }),
    // --- metrics (issue 9): Prometheus text at GET /metrics, on the main port or a listener of its own ---
    metrics: z
      .strictObject(
        {
          enabled: z.boolean({ error: 'must be true or false' }).default(true),
          addr: text('an address such as :9102 or 127.0.0.1:9102').optional(),
          path: realmPath.default('/metrics'),
        },
        { error: 'must be a mapping with enabled, addr and path' },
      )
      .default({ enabled: true, path: '/metrics' }),
    // --- end metrics ---
    // --- audit (issue 9, item 3): one JSON line per token decision ---
    audit: z
      .strictObject(
        {
          // stderr (default), stdout, off, or a file path (relative to this file), opened for append.
          output: text('stderr, stdout, off or a file path').optional(),
        },
        { error: 'must be a mapping with output' },
      )
      .optional(),
    // --- end audit ---
    throttle: throttleSchema.optional(),
    services: z
      .array(
        z.strictObject(
          {
            name: segment('a service name such as registry'),
            mount: mountPath.optional(),
            anonymous: z.string({ error: 'must be an access string such as repository:library/**:pull' }).optional(),
            // --- directory logins (issue 11): the ways a password is checked, in order ---
            logins: z
              .array(loginWaySchema, { error: 'must be a list such as [kv, {vault_auth: ldap}]' })
              .min(1, { error: 'must list at least one way' })
              .optional(),
            groups_from: z.enum(['policies', 'metadata', 'identity_groups'], { error: 'must be policies, metadata or identity_groups' }).optional(),
            // --- end directory logins ---
          },
          { error: 'must be a mapping with name (and optionally mount, anonymous, logins and groups_from)' },
        ),
        { error: 'must be a list of {name, mount}' },
      )
      .min(1, { error: 'must list at least one service' })
      .optional(),
  },
  { error: 'must be a mapping' },
);

export type ConfigFile = z.infer<typeof configSchema>;
