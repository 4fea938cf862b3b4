import assert from 'node:assert/strict';
import test from 'node:test';
import { randomId } from '../../src/util/random-id.js';

test('random ids are 16 bytes in base64url, and never repeat across pool refills', () => {
  const seen = new Set<string>();
  // 4 KiB pools of 16-byte ids: 1,000 ids cross several refills.
  for (let i = 0; i < 1_000; i += 1) {
    const id = randomId();
    assert.match(id, /^[A-Za-z0-9_-]{22}$/u);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
    seen.add(id);
  }
  assert.equal(seen.size, 1_000);
});
