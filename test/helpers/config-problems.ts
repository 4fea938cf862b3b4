/** The problems a configuration document is refused with (the test fails if it is accepted). */
import assert from 'node:assert/strict';
import { ConfigError, type ConfigEnv, parseConfig } from '../../src/config/load.js';

export function configProblems(document: unknown, env: ConfigEnv = {}): readonly string[] {
  try {
    parseConfig(document, '/etc/vra', env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}
