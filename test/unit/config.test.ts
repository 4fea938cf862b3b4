import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

function problems(document: unknown, env = {}): readonly string[] {
  try {
    parseConfig(document, '/etc/vra', env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

const minimal = {
  storage: { vault: { addr: 'http://127.0.0.1:8200', auth_token: 't' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem' },
};

test("Godoauth's configuration file runs unchanged", () => {
  const config = loadConfigFile(path.join(fixtures, 'godoauth.yml'), {});
  assert.deepEqual(config.storage, {
    kind: 'vault',
    address: 'http://127.0.0.1:8200',
    token: 'dbXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXX',
    kvVersion: 'auto',
    timeoutMs: 5000,
  });
  assert.deepEqual(config.http, {
    port: 5002,
    timeoutMs: 5000,
    tls: { certificate: path.join(fixtures, 'certs/server.pem'), key: path.join(fixtures, 'certs/server.key') },
    realmPaths: ['/auth', '/auth/token'],
  });
  assert.deepEqual(config.token, {
    issuer: 'Token',
    expirationSeconds: 800,
    certificate: path.join(fixtures, 'certs/server.pem'),
    key: path.join(fixtures, 'certs/server.key'),
    kid: 'thumbprint',
    x5c: false,
    generate: false,
  });
  assert.deepEqual(config.log, { level: 'info', file: '/tmp/godoauth.log' });
  assert.equal(config.services, null);
});

test('VAULT_ADDR and VAULT_TOKEN override the file, as for Vault’s own tools', () => {
  const config = parseConfig(minimal, '/etc/vra', { VAULT_ADDR: 'https://vault.example.com:8200/', VAULT_TOKEN: 'from-env' });
  assert.equal(config.storage.kind, 'vault');
  assert.deepEqual(config.storage.kind === 'vault' && [config.storage.address, config.storage.token], ['https://vault.example.com:8200', 'from-env']);
});

test('a Vault token is required from the file or the environment', () => {
  assert.deepEqual(problems({ ...minimal, storage: { vault: { addr: 'http://v:8200' } } }), ['storage.vault.auth_token is required (or set VAULT_TOKEN)']);
});

test('relative paths resolve against the file’s folder; absolute ones stay', () => {
  const config = parseConfig({ ...minimal, token: { ...minimal.token, key: '/abs/k.pem' } }, '/etc/vra');
  assert.equal(config.token.certificate, '/etc/vra/c.pem');
  assert.equal(config.token.key, '/abs/k.pem');
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
  assert.deepEqual(problems({ storage: minimal.storage }), ['token must be a mapping with issuer, expiration, certificate and key']);
});

test('unknown keys are reported', () => {
  assert.deepEqual(problems({ ...minimal, tokens: {}, token: { ...minimal.token, expiry: 1 } }).toSorted(), [
    'token.expiry is not a known key',
    'tokens is not a known key',
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
