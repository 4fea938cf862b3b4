import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { announceSlowStep } from '../../src/util/slow-step.js';

function recorder(): { logger: { info: (message: string, fields: object) => void }; lines: string[] } {
  const lines: string[] = [];
  return { logger: { info: (message: string) => lines.push(message) }, lines };
}

test('a quick step says nothing and gives its result', async () => {
  const { logger, lines } = recorder();
  assert.equal(await announceSlowStep('loading the signing keys', async () => 'keys', { logger, noticeMs: 5_000 }), 'keys');
  assert.deepEqual(lines, []);
});

test('a slow step says what it waits for while it lasts, and when it is done', async () => {
  const { logger, lines } = recorder();
  const result = await announceSlowStep(
    'logging in to Vault at http://vault:8200',
    async () => {
      await sleep(120);
      return 'logged in';
    },
    { logger, noticeMs: 30 },
  );
  assert.equal(result, 'logged in');
  assert.ok(lines.length >= 2, lines.join('\n'));
  assert.deepEqual(new Set(lines.slice(0, -1)), new Set(['start-up: still logging in to Vault at http://vault:8200']));
  assert.equal(lines.at(-1), 'start-up: done logging in to Vault at http://vault:8200');
});

test('a slow step that fails is said to be over too, and its error is thrown as it is', async () => {
  const { logger, lines } = recorder();
  await assert.rejects(
    announceSlowStep(
      'loading the signing keys',
      async () => {
        await sleep(80);
        throw new Error('no key');
      },
      { logger, noticeMs: 20 },
    ),
    { message: 'no key' },
  );
  assert.equal(lines.at(-1), 'start-up: done loading the signing keys');
});
