/**
 * Properties of name patterns: parsing and binding never throw, matching
 * agrees with an independent regular-expression reading of the documented
 * rules (safe here: the patterns and names are short and generated), and
 * pathological patterns against long names give the right answer.
 *
 * No timing is asserted (project rule); bench/glob-micro.ts measures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ACCOUNT_PLACEHOLDER, bindPattern, compileName, parseNamePattern } from '../../src/domain/glob.js';
import { account, hostileOrLong, hostileString, namePattern, nameFitting, repoName } from '../helpers/arbitraries.js';

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');

/**
 * The rules of glob.ts written as a regex: `*` is `[^/]*`, a `**` segment is
 * any number of whole segments, one at least when it ends the pattern;
 * `${account}` is the account, literally; consecutive `**` are one.
 */
function oracle(pattern: string, accountName: string | null): (name: string) => boolean {
  const segments = pattern.split('/').filter((segment, i, all) => !(segment === '**' && all[i - 1] === '**'));
  if (pattern.includes(ACCOUNT_PLACEHOLDER) && (accountName === null || accountName === '' || accountName.includes('/'))) return () => false;
  let source = '';
  let needSlash = false;
  segments.forEach((segment, i) => {
    if (segment === '**') {
      if (i < segments.length - 1) source += `${needSlash ? '/' : ''}(?:[^/]*/)*`;
      else source += i === 0 ? '[^/]*(?:/[^/]*)*' : '(?:/[^/]*)+';
      needSlash = false;
      return;
    }
    const body = segment
      .split(ACCOUNT_PLACEHOLDER)
      .map((part) => part.split('*').map(escapeRegex).join('[^/]*'))
      .join(escapeRegex(accountName ?? ''));
    source += (needSlash ? '/' : '') + body;
    needSlash = true;
  });
  const regex = new RegExp(`^${source}$`, 'u');
  return (name) => regex.test(name);
}

test('property: parseNamePattern, bindPattern and compileName never throw', () => {
  fc.assert(
    fc.property(hostileOrLong, fc.option(account), hostileString, (pattern, accountName, name) => {
      const parsed = parseNamePattern(pattern);
      if (parsed.ok) bindPattern(parsed.pattern, accountName)(name);
      assert.equal(typeof compileName(pattern, accountName)(name), 'boolean');
    }),
    { numRuns: 1_000 },
  );
});

test('property: matching agrees with the regex reading of the rules', () => {
  const others = fc.oneof(repoName, fc.constantFrom('x', 'alice', 'xalice', 'users/alice', 'users/alice/app', 'a/alice/b'));
  const cases = fc
    .tuple(namePattern, fc.option(fc.constantFrom('alice', 'a', '*', '**', 'b/c', '')))
    .chain(([pattern, accountName]) =>
      fc.tuple(fc.constant(pattern), fc.constant(accountName), fc.oneof(others, nameFitting(pattern, accountName ?? 'alice'))),
    );
  fc.assert(
    fc.property(cases, ([pattern, accountName, name]) => {
      const parsed = parseNamePattern(pattern);
      assert.ok(parsed.ok, pattern);
      assert.equal(compileName(pattern, accountName)(name), oracle(pattern, accountName)(name), `${pattern} (account ${accountName}) on ${name}`);
    }),
    { numRuns: 5_000 },
  );
});

test('property: a pattern with no wildcard matches its own text and nothing else', () => {
  fc.assert(
    fc.property(
      hostileString.filter((text) => !/[*$]/u.test(text)),
      hostileString,
      (pattern, other) => {
        const matcher = compileName(pattern, null);
        assert.equal(matcher(pattern), true);
        assert.equal(matcher(other), other === pattern);
      },
    ),
    { numRuns: 1_000 },
  );
});

test('pathological patterns against 10,000-character names give the right answer', () => {
  const long = 'a'.repeat(10_000);
  assert.equal(compileName('a*a*a*a*a*a*a*b', null)(long), false);
  assert.equal(compileName('a*a*a*a*a*a*a*b', null)(`${long}b`), true);
  assert.equal(compileName('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c', null)(long), false);
  // The ends fit, so the middle chunks are searched over the whole name.
  assert.equal(compileName('a*c*a*a*a*a*a*b', null)(`${long}b`), false);
  assert.equal(compileName('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*ab', null)(`${long}b`), true);
  const deep = Array.from({ length: 5_000 }, () => 'a').join('/');
  assert.equal(compileName('**/a/**/a/**/a/**/b', null)(deep), false);
  assert.equal(compileName('**/a/**/a/**/a/**/b', null)(`${deep}/b`), true);
  assert.equal(compileName('**/*a*/**/*a*/**/*b*', null)(deep), false);
  assert.equal(compileName('**/a/c/**/b', null)(`${deep}/b`), false);
  assert.equal(compileName('**/a/a/**/a/b', null)(`${deep}/b`), true);
  assert.equal(compileName('a/**/a/*/a/**', null)(deep), true);
});
