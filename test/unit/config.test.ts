import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { configProblems } from '../helpers/config-problems.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

const problems = configProblems;

const minimal = {
  storage: { vault: { addr: 'http://127.0.0.1:8200', auth_token: 't' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem' },
};

test("Godoauth's configuration file runs unchanged", () => {
  const config = loadConfigFile(path.join(fixtures, 'godoauth.yml'), {});
  assert.deepEqual(config.storage, {
    kind: 'vault',
    address: 'http://127.0.0.1:8200',
    auth: { method: 'token', token: { value: 'dbXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXX' } },
    tls: {},
    kvVersion: 'auto',
    timeoutMs: 5000,
    mountTtlMs: 60_000,
    breaker: { threshold: 3, cooldownMs: 5000 },
  });
  assert.deepEqual(config.cache, { ttlMs: 30_000, negativeTtlMs: 30_000, staleMs: 300_000, maxEntries: 100_000 });
  assert.deepEqual(config.http, {
    port: 5002,
    timeoutMs: 5000,
    shutdownTimeoutMs: 10_000,
    tls: { certificate: path.join(fixtures, 'certs/server.pem'), key: path.join(fixtures, 'certs/server.key'), minVersion: 'TLSv1.2' },
    headerTimeoutMs: 5000,
    keepAliveTimeoutMs: 5000,
    maxHeaderBytes: 16_384,
    realmPaths: ['/auth', '/auth/token'],
  });
  assert.deepEqual(config.token, {
    issuer: 'Token',
    expirationSeconds: 800,
    keys: {
      from: 'files',
      certificate: path.join(fixtures, 'certs/server.pem'),
      key: path.join(fixtures, 'certs/server.key'),
      published: [],
      generate: false,
    },
    kid: 'thumbprint',
    x5c: false,
    refreshExpirationSeconds: 7_776_000,
  });
  assert.deepEqual(config.log, { level: 'info', file: '/tmp/godoauth.log' });
  assert.equal(config.services, null);
});

test('VAULT_ADDR and VAULT_TOKEN override the file, as for Vault’s own tools', () => {
  const config = parseConfig(minimal, '/etc/vra', { VAULT_ADDR: 'https://vault.example.com:8200/', VAULT_TOKEN: 'from-env' });
  assert.equal(config.storage.kind, 'vault');
  assert.deepEqual(config.storage.kind === 'vault' && [config.storage.address, config.storage.auth], [
    'https://vault.example.com:8200',
    { method: 'token', token: { value: 'from-env' } },
  ]);
});

test('a Vault token is required from the file or the environment', () => {
  assert.deepEqual(problems({ ...minimal, storage: { vault: { addr: 'http://v:8200' } } }), [
    'storage.vault.auth_token is required (or set VAULT_TOKEN, or storage.vault.auth.token_file)',
  ]);
});

const vaultStorage = (config: ReturnType<typeof parseConfig>) => {
  assert.equal(config.storage.kind, 'vault');
  return config.storage as Extract<typeof config.storage, { kind: 'vault' }>;
};

test('auth method token from a file (a Vault Agent sink): the file wins over VAULT_TOKEN', () => {
  const config = parseConfig({ ...minimal, storage: { vault: { addr: 'http://v:8200', auth: { token_file: 'agent/token' } } } }, '/etc/vra', {
    VAULT_TOKEN: 'ignored',
  });
  assert.deepEqual(vaultStorage(config).auth, { method: 'token', token: { file: '/etc/vra/agent/token', key: 'storage.vault.auth.token_file' } });
});

test('auth method approle: role_id from the file or VAULT_ROLE_ID, secret_id from a file or VAULT_SECRET_ID', () => {
  const document = (auth: object) => ({ ...minimal, storage: { vault: { addr: 'http://v:8200', auth: { method: 'approle', ...auth } } } });
  assert.deepEqual(vaultStorage(parseConfig(document({ role_id: 'r', secret_id_file: '/run/sid' }), '/etc/vra')).auth, {
    method: 'approle',
    mount: 'approle',
    roleId: { value: 'r' },
    secretId: { file: '/run/sid', key: 'storage.vault.auth.secret_id_file' },
  });
  assert.deepEqual(vaultStorage(parseConfig(document({ mount: 'ci/approle' }), '/etc/vra', { VAULT_ROLE_ID: 'env-r', VAULT_SECRET_ID: 'env-s' })).auth, {
    method: 'approle',
    mount: 'ci/approle',
    roleId: { value: 'env-r' },
    secretId: { value: 'env-s' },
  });
  assert.deepEqual(problems(document({})), [
    'storage.vault.auth.role_id (or role_id_file, or VAULT_ROLE_ID) is required with method approle',
    'storage.vault.auth.secret_id_file (or VAULT_SECRET_ID) is required with method approle',
  ]);
  assert.deepEqual(problems({ ...document({ role_id: 'r', secret_id_file: 's', role: 'x' }) }), ['storage.vault.auth.role is not used with method approle']);
  assert.deepEqual(
    problems({ ...minimal, storage: { vault: { addr: 'http://v:8200', auth_token: 't', auth: { method: 'approle', role_id: 'r', secret_id_file: 's' } } } }),
    ['storage.vault.auth_token is only used with method token (storage.vault.auth.method is approle)'],
  );
});

test('auth method kubernetes: the role is required, the JWT file has the in-pod default', () => {
  const document = (auth: object) => ({ ...minimal, storage: { vault: { addr: 'http://v:8200', auth: { method: 'kubernetes', ...auth } } } });
  assert.deepEqual(vaultStorage(parseConfig(document({ role: 'registry-auth' }), '/etc/vra')).auth, {
    method: 'kubernetes',
    mount: 'kubernetes',
    role: 'registry-auth',
    jwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
  });
  assert.deepEqual(problems(document({})), ['storage.vault.auth.role is required with method kubernetes']);
  assert.deepEqual(problems(document({ role: 'r', method: 'ldap' })), ['storage.vault.auth.method must be token, approle or kubernetes']);
});

test("TLS and namespace settings: VAULT_* variables as Vault's CLI reads them override the file", () => {
  const document = {
    ...minimal,
    storage: {
      vault: { addr: 'https://v:8200', auth_token: 't', namespace: 'file-ns', tls: { ca_cert: 'ca.pem', client_cert: 'c.pem', client_key: 'k.pem' } },
    },
  };
  const fromFile = vaultStorage(parseConfig(document, '/etc/vra'));
  assert.equal(fromFile.namespace, 'file-ns');
  assert.deepEqual(fromFile.tls, {
    caCert: { file: '/etc/vra/ca.pem', key: 'storage.vault.tls.ca_cert' },
    clientCert: { file: '/etc/vra/c.pem', key: 'storage.vault.tls.client_cert' },
    clientKey: { file: '/etc/vra/k.pem', key: 'storage.vault.tls.client_key' },
  });
  const fromEnv = vaultStorage(
    parseConfig(document, '/etc/vra', {
      VAULT_CACERT: '/env/ca.pem',
      VAULT_CAPATH: '/env/cas',
      VAULT_TLS_SERVER_NAME: 'vault.internal',
      VAULT_NAMESPACE: 'env-ns',
      VAULT_SKIP_VERIFY: 'false',
    }),
  );
  assert.equal(fromEnv.namespace, 'env-ns');
  assert.deepEqual(fromEnv.tls.caCert, { file: '/env/ca.pem', key: 'VAULT_CACERT' });
  assert.deepEqual(fromEnv.tls.caPath, { dir: '/env/cas', key: 'VAULT_CAPATH' });
  assert.equal(fromEnv.tls.serverName, 'vault.internal');
});

test('VAULT_SKIP_VERIFY is refused with what to do instead: no switch turns TLS verification off', () => {
  for (const value of ['1', 'true', 'yes']) {
    assert.deepEqual(problems(minimal, { VAULT_SKIP_VERIFY: value }), [
      "VAULT_SKIP_VERIFY is not supported: Vault's TLS certificate is always verified. Set VAULT_CACERT (or storage.vault.tls.ca_cert) to the CA that signed it instead",
    ]);
  }
});

test('cache and outage settings: durations, 0 turns the cache or the stale window off', () => {
  const config = parseConfig(
    {
      ...minimal,
      storage: { vault: { addr: 'http://v:8200', auth_token: 't', mount_ttl: '2m', circuit_breaker: { failures: 5, cooldown: '10s' } } },
      cache: { ttl: 0, negative_ttl: '1s', stale: 0, max_entries: 10 },
    },
    '/etc/vra',
  );
  assert.deepEqual(config.cache, { ttlMs: 0, negativeTtlMs: 1000, staleMs: 0, maxEntries: 10 });
  assert.equal(vaultStorage(config).mountTtlMs, 120_000);
  assert.deepEqual(vaultStorage(config).breaker, { threshold: 5, cooldownMs: 10_000 });
  assert.deepEqual(problems({ ...minimal, cache: { ttl: 'soon', max_entries: 0 } }), [
    'cache.ttl must be a duration such as 30s or 5m (0 turns it off)',
    'cache.max_entries must be a positive whole number',
  ]);
});

test('relative paths resolve against the file’s folder; absolute ones stay', () => {
  const config = parseConfig({ ...minimal, token: { ...minimal.token, key: '/abs/k.pem' } }, '/etc/vra');
  assert.deepEqual(config.token.keys, { from: 'files', certificate: '/etc/vra/c.pem', key: '/abs/k.pem', published: [], generate: false });
});

test('every problem names its key and the expected form', () => {
  assert.deepEqual(problems({ ...minimal, token: { ...minimal.token, expiration: -5 } }), [
    'token.expiration must be a positive integer (seconds) or a duration such as 5m',
  ]);
  assert.deepEqual(problems({ ...minimal, token: { ...minimal.token, expiration: 'soon' } }), [
    'token.expiration must be a positive integer (seconds) or a duration such as 5m',
  ]);
  assert.deepEqual(problems({ ...minimal, token: { ...minimal.token, expiration: 30 } }), ['token.expiration must be at least 60 seconds']);
  assert.deepEqual(problems({ ...minimal, http: { timeout: 'forever' } }), ['http.timeout must be a positive duration such as 5s, 1m30s or 800ms']);
  assert.deepEqual(problems({ ...minimal, log: { level: 'loud' } }), ['log.level must be one of error, warn, info, debug']);
  assert.deepEqual(problems({ ...minimal, storage: { vault: { ...minimal.storage.vault, kv_version: 3 } } }), [
    'storage.vault.kv_version must be auto, 1 or 2',
  ]);
  assert.deepEqual(problems({ ...minimal, http: { addr: 'nowhere' } }), ['http.addr must be an address such as :5002 or 127.0.0.1:5002 (got "nowhere")']);
  assert.deepEqual(problems({ storage: minimal.storage }), ['token must be a mapping with issuer, expiration, and certificate and key (or vault_path)']);
});

test('unknown keys are reported', () => {
  assert.deepEqual(problems({ ...minimal, tokens: {}, token: { ...minimal.token, expiry: 1 } }).toSorted(), [
    'token.expiry is not a known key',
    'tokens is not a known key',
  ]);
});

test('an unknown key that is not plain is quoted: a pasted no-break space or a blank key reads as what it is', () => {
  assert.deepEqual(problems({ ...minimal, http: { 'timeout\u00a0': '5s' }, ' ': 1 }).toSorted(), [
    '" " is not a known key',
    'http."timeout\u00a0" is not a known key',
  ]);
});

test('the services list maps names to mounts, the mount defaulting to the name', () => {
  const config = parseConfig({ ...minimal, services: [{ name: 'registry' }, { name: 'staging', mount: 'kv/staging-users' }] }, '/');
  assert.deepEqual(
    [...(config.services ?? [])],
    [
      ['registry', 'registry'],
      ['staging', 'kv/staging-users'],
    ],
  );
  assert.deepEqual(problems({ ...minimal, services: [{ name: 'a/b' }] }), ['services.0.name must not contain "/", "\\", "?", "#", "%" or control characters']);
  assert.deepEqual(problems({ ...minimal, services: [{ name: 'a' }, { name: 'a' }] }), ['services.1.name repeats the service "a"']);
});

test('durations in Go form and the realm as one path or a list', () => {
  const config = parseConfig(
    { ...minimal, http: { addr: '127.0.0.1:0', timeout: '1m30s', realm: '/token' }, token: { ...minimal.token, expiration: '15m' } },
    '/',
  );
  assert.deepEqual([config.http.host, config.http.port, config.http.timeoutMs, config.http.realmPaths], ['127.0.0.1', 0, 90_000, ['/token']]);
  assert.equal(config.token.expirationSeconds, 900);
});

test('a file that is not YAML, or missing, is reported as such', () => {
  assert.throws(() => loadConfigFile(path.join(fixtures, 'nope.yml')), /cannot read the file: ENOENT/u);
});

test('services[].anonymous is an access string checked at start; refresh_expiration is a lifetime', () => {
  const config = parseConfig(
    {
      ...minimal,
      token: { ...minimal.token, refresh_expiration: '720h' },
      services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }, { name: 'other' }],
    },
    '/etc/vra',
  );
  assert.deepEqual([...config.anonymous], [['registry', 'repository:library/**:pull']]);
  assert.equal(config.token.refreshExpirationSeconds, 2_592_000);
  assert.deepEqual(problems({ ...minimal, services: [{ name: 'registry', anonymous: 'repository:library' }] }), [
    'services.0.anonymous: entry 1 "repository:library": expected type:name:actions',
  ]);
});
