import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { readAccess } from '../../src/domain/access.js';
import { bindClaims, templateClaims, templateForChecking } from '../../src/domain/claims-template.js';
import { compileName } from '../../src/domain/glob.js';

const template = 'repository:${claims.project_path}/**:push,pull;repository:shared/base:pull';

test('templateClaims names the claims a template uses, once each', () => {
  assert.deepEqual(templateClaims('repository:${claims.namespace_path}/${claims.project_path}:*;repository:${claims.namespace_path}/x:pull'), [
    'namespace_path',
    'project_path',
  ]);
  assert.deepEqual(templateClaims('repository:team/*:pull'), []);
});

test('templateForChecking replaces placeholders with a plain segment; a wrong one stays for the check to report', () => {
  assert.equal(templateForChecking(template), 'repository:claim/**:push,pull;repository:shared/base:pull');
  assert.equal(templateForChecking('repository:${claims.a.b}/x:pull'), 'repository:${claims.a.b}/x:pull');
});

test('a GitLab project path binds as literal name segments', () => {
  assert.deepEqual(bindClaims(template, { project_path: 'group/sub/app', ref: 'main' }), {
    access: 'repository:group/sub/app/**:push,pull;repository:shared/base:pull',
    problems: [],
  });
});

test('numbers that are safe integers bind as their decimal text', () => {
  assert.deepEqual(bindClaims('repository:ids/${claims.project_id}:pull', { project_id: 42 }), { access: 'repository:ids/42:pull', problems: [] });
});

test('an entry whose claim is missing, not a string, or not a plain name is dropped and reported; the others stay', () => {
  const cases: [unknown, string][] = [
    [undefined, 'is missing'],
    [null, 'is missing'],
    [['a'], 'is not a string'],
    [1.5, 'is not a string'],
    ['a/*', '"a/*" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['a/../b', '"a/../b" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['a//b', '"a//b" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['/a', '"/a" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['a;repository:*:*', '"a;repository:*:*" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['${account}', '"${account}" is not a plain name (letters, digits, ".", "_", "-" in "/"-separated segments)'],
    ['x'.repeat(256), 'is longer than 255 characters'],
  ];
  for (const [value, reason] of cases) {
    assert.deepEqual(bindClaims(template, { project_path: value }), {
      access: 'repository:shared/base:pull',
      problems: [`entry "repository:\${claims.project_path}/**:push,pull" dropped: the claim project_path ${reason}`],
    });
  }
});

test('property: whatever the claim values, a bound name pattern covers only names inside the claimed path', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-z./_*-]{1,20}$/)), fc.stringMatching(/^[a-z0-9._/-]{1,30}$/), (value, requested) => {
      const { access } = bindClaims('repository:${claims.p}/**:push', { p: value });
      const entries = readAccess(access).entries;
      if (entries.length === 0) return;
      const entry = entries[0];
      assert.ok(entry);
      // The value was used literally: a name is covered only when it starts with value + "/".
      if (compileName(`${value}/**`, null)(requested)) assert.ok(requested.startsWith(`${value}/`));
      assert.equal(entries.length, 1);
    }),
    { numRuns: 2000, seed: 11 },
  );
});
