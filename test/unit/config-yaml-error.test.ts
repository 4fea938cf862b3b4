/**
 * A configuration file that is not valid YAML: the problem says why and
 * where (line, column), never the lines around it as js-yaml's message
 * does — they may hold auth_token or role_id, and the problem goes to
 * stderr and, on a reload, to the log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';

const TOKEN = 'hvs.S3CR3T-config-token-4b1f';
let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vra-config-yaml-'));
});
after(() => rm(dir, { recursive: true, force: true }));

for (const [what, text, problem] of [
  [
    'an unclosed flow collection after the token',
    `storage:\n  vault:\n    auth_token: ${TOKEN}\n    namespace: [team\n`,
    'not valid YAML: unexpected end of the stream within a flow collection (line 5, column 1)',
  ],
  [
    'an unclosed quote around the token',
    `storage:\n  vault:\n    auth_token: "${TOKEN}\n`,
    'not valid YAML: unexpected end of the stream within a double quoted scalar (line 4, column 1)',
  ],
  [
    'a bad indentation before the token',
    `storage:\n  vault:\n      addr: x\n    auth_token: ${TOKEN}\n`,
    'not valid YAML: bad indentation of a mapping entry (line 4, column 5)',
  ],
] as const) {
  test(`${what}: the reason and the position, none of the file's lines`, async () => {
    const file = path.join(dir, `${what.replaceAll(' ', '-')}.yml`);
    await writeFile(file, text);
    assert.throws(
      () => loadConfigFile(file, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [problem]);
        assert.equal(error.message.includes('S3CR3T'), false);
        return true;
      },
    );
  });
}
