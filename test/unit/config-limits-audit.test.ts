import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { parseByteSize } from '../../src/domain/size.js';
import { coversEveryAction } from '../../src/observers/audit-log.js';
import { configProblems } from '../helpers/config-problems.js';

const minimal = {
  storage: { file: { path: 'users.yml' } },
  token: { issuer: 'Token', expiration: 300, certificate: 'c.pem', key: 'k.pem' },
};

const withHttp = (http: Record<string, unknown>) => ({ ...minimal, http });
const parse = (document: Record<string, unknown>) => parseConfig(document, '/etc/vra', {});

test('limits: the defaults (header timeout: http.timeout up to a minute, keep-alive 5 s, headers 16 KiB)', () => {
  const { headerTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes } = parse(minimal).http;
  assert.deepEqual({ headerTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes }, { headerTimeoutMs: 5000, keepAliveTimeoutMs: 5000, maxHeaderBytes: 16_384 });
  assert.equal(parse(withHttp({ timeout: '2m' })).http.headerTimeoutMs, 60_000);
});

test('limits: as configured, sizes with or without a unit', () => {
  const { timeoutMs, headerTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes } = parse(
    withHttp({ timeout: '30s', header_timeout: '10s', keep_alive_timeout: '65s', max_header_size: '32KiB' }),
  ).http;
  assert.deepEqual(
    { timeoutMs, headerTimeoutMs, keepAliveTimeoutMs, maxHeaderBytes },
    { timeoutMs: 30_000, headerTimeoutMs: 10_000, keepAliveTimeoutMs: 65_000, maxHeaderBytes: 32_768 },
  );
  assert.equal(parse(withHttp({ max_header_size: 8192 })).http.maxHeaderBytes, 8192);
});

test('limits: what is refused, naming the key', () => {
  assert.deepEqual(configProblems(withHttp({ timeout: '5s', header_timeout: '10s' })), [
    'http.header_timeout must not be longer than http.timeout (the headers are part of the request)',
  ]);
  assert.deepEqual(configProblems(withHttp({ keep_alive_timeout: 'soon' })), [
    'http.keep_alive_timeout must be a positive duration such as 5s, 1m30s or 800ms',
  ]);
  for (const bad of ['16 kilobytes', 0, -1, 1.5, '1GiB']) {
    assert.deepEqual(
      configProblems(withHttp({ max_header_size: bad })),
      ['http.max_header_size must be a positive size such as 16KiB, 1MiB or 32768 (bytes)'],
      String(bad),
    );
  }
});

test('parseByteSize: bytes, KB/MB as powers of 1000, KiB/MiB of 1024, any case', () => {
  assert.deepEqual(
    ['512', '512B', '8KB', '16KiB', '16kib', '1MB', '1MiB', 4096, ' 2 KiB '].map(parseByteSize),
    [512, 512, 8000, 16_384, 16_384, 1_000_000, 1_048_576, 4096, 2048],
  );
  assert.deepEqual(['', 'KiB', '1.5KiB', '1GiB', -1, 1.5, null].map(parseByteSize), [null, null, null, null, null, null, null]);
});

test('http.tls.min_version: TLSv1.2 by default, TLSv1.3 on request, nothing older', () => {
  const tls = { certificate: 'server.pem', key: 'server.key' };
  assert.deepEqual(parse(withHttp({ tls })).http.tls, { certificate: '/etc/vra/server.pem', key: '/etc/vra/server.key', minVersion: 'TLSv1.2' });
  assert.equal(parse(withHttp({ tls: { ...tls, min_version: 'TLSv1.3' } })).http.tls?.minVersion, 'TLSv1.3');
  assert.deepEqual(configProblems(withHttp({ tls: { ...tls, min_version: 'TLSv1.1' } })), ['http.tls.min_version must be TLSv1.2 or TLSv1.3']);
});

test('audit.output: stderr by default; stdout, off; a path relative to the config file', () => {
  assert.deepEqual(parse(minimal).audit, { output: 'stderr' });
  assert.deepEqual(parse({ ...minimal, audit: {} }).audit, { output: 'stderr' });
  assert.deepEqual(parse({ ...minimal, audit: { output: 'stdout' } }).audit, { output: 'stdout' });
  assert.deepEqual(parse({ ...minimal, audit: { output: 'off' } }).audit, { output: 'off' });
  assert.deepEqual(parse({ ...minimal, audit: { output: 'log/audit.log' } }).audit, { output: 'file', file: '/etc/vra/log/audit.log' });
  assert.deepEqual(parse({ ...minimal, audit: { output: '/var/log/vra/audit.log' } }).audit, { output: 'file', file: '/var/log/vra/audit.log' });
  assert.deepEqual(configProblems({ ...minimal, audit: { output: '' } }), ['audit.output must be stderr, stdout, off or a file path']);
  assert.deepEqual(configProblems({ ...minimal, audit: { file: 'x' } }), ['audit.file is not a known key']);
});

test('coversEveryAction: compared action by action, whatever the grouping; names with a port', () => {
  assert.equal(coversEveryAction(['repository:a:pull,push'], ['repository:a:pull,push']), true);
  assert.equal(coversEveryAction(['repository:a:pull', 'repository:a:push'], ['repository:a:pull,push']), true);
  assert.equal(coversEveryAction(['repository:a:pull,push'], ['repository:a:pull']), false);
  assert.equal(coversEveryAction(['repository:a:pull'], []), false);
  assert.equal(coversEveryAction([], []), true);
  assert.equal(coversEveryAction(['repository:localhost:5000/a:pull'], ['repository:localhost:5000/a:pull']), true);
  assert.equal(coversEveryAction(['repository:localhost:5000/a:pull'], ['repository:localhost:5001/a:pull']), false);
  assert.equal(coversEveryAction(['registry:catalog:*'], ['registry:catalog:*']), true);
});
