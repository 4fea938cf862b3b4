/** The signing keys' settings: files (Godoauth's, plus token.published) or a Vault secret, every problem naming its key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { configProblems } from '../helpers/config-problems.js';

const storage = { vault: { addr: 'http://127.0.0.1:8200', auth_token: 't' } };
const base = { issuer: 'Token', expiration: 300 };

const problems = configProblems;

test('key files: token.key and token.certificate are the active key; token.published lists certificates that only verify', () => {
  const config = parseConfig({ storage, token: { ...base, key: 'k.pem', certificate: 'c.pem', published: ['next.pem', '/abs/old.pem'] } }, '/etc/vra');
  assert.deepEqual(config.token.keys, {
    from: 'files',
    key: '/etc/vra/k.pem',
    certificate: '/etc/vra/c.pem',
    published: ['/etc/vra/next.pem', '/abs/old.pem'],
    generate: false,
  });
});

test('keys in Vault: token.vault_path, read again every token.reload (30 s by default)', () => {
  assert.deepEqual(parseConfig({ storage, token: { ...base, vault_path: 'secret/data/registry-token' } }, '/etc/vra').token.keys, {
    from: 'vault',
    path: 'secret/data/registry-token',
    reloadMs: 30_000,
  });
  assert.deepEqual(parseConfig({ storage, token: { ...base, vault_path: 'keys/token', reload: '5m' } }, '/etc/vra').token.keys, {
    from: 'vault',
    path: 'keys/token',
    reloadMs: 300_000,
  });
});

test('files and Vault do not mix; each problem names its key', () => {
  assert.deepEqual(problems({ storage, token: { ...base, vault_path: 'secret/data/t', key: 'k.pem', published: ['p.pem'], generate: true } }), [
    'token.key is not used with token.vault_path: the keys are read from Vault (give one or the other)',
    'token.published is not used with token.vault_path: the keys are read from Vault (give one or the other)',
    'token.generate is not used with token.vault_path: write the keys to Vault (see keys generate)',
  ]);
  assert.deepEqual(problems({ storage: { file: { path: 'users.yml' } }, token: { ...base, vault_path: 'secret/data/t' } }), [
    "token.vault_path needs storage.vault: the keys are read with the server's Vault client",
  ]);
  assert.deepEqual(problems({ storage, token: { ...base, certificate: 'c.pem', reload: '1m' } }), [
    'token.reload is only used with token.vault_path (key files are read again on a change or SIGHUP, see Reload)',
    'token.key is required (the PEM private key file), or token.vault_path',
  ]);
  assert.deepEqual(problems({ storage, token: { ...base, key: 'k.pem' } }), [
    'token.certificate is required (the PEM certificate of token.key), or token.vault_path',
  ]);
});

test('malformed values name the key and the expected form', () => {
  const form = 'must be a Vault path such as secret/data/registry-token: plain segments separated by "/", without a leading "/" or "v1/"';
  for (const path of ['/secret/data/t', 'v1/secret/data/t', 'secret//t', 'secret/../sys', 'secret/t?x']) {
    assert.deepEqual(problems({ storage, token: { ...base, vault_path: path } }), [`token.vault_path ${form}`], path);
  }
  assert.deepEqual(problems({ storage, token: { ...base, key: 'k', certificate: 'c', published: 'p.pem' } }), [
    'token.published must be a list of certificate files',
  ]);
  assert.deepEqual(problems({ storage, token: { ...base, vault_path: 'secret/data/t', reload: 'often' } }), [
    'token.reload must be a positive duration such as 5s, 1m30s or 800ms',
  ]);
});
