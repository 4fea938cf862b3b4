import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets } from '../../src/domain/redact.js';

test('every occurrence of every secret sent is replaced; empty secrets are ignored', () => {
  assert.equal(
    redactSecrets('bind as alice with s3cret failed (s3cret); token t0k', ['s3cret', '', 't0k']),
    'bind as alice with [redacted] failed ([redacted]); token [redacted]',
  );
  assert.equal(redactSecrets('nothing to hide', ['s3cret']), 'nothing to hide');
});
