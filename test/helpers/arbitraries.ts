/**
 * fast-check arbitraries shared by the property tests of src/domain/.
 *
 * Two kinds: HOSTILE text (any UTF-16 code unit, lone surrogates, NUL,
 * control characters, very long runs) to show a parser never throws, and
 * SHAPED text from a small alphabet so that random inputs often collide
 * (same names, same patterns) and the interesting branches are reached.
 */
import fc from 'fast-check';

/** Characters that mean something to one of the parsers, and some that must never pass. */
const SPECIALS = [
  ':',
  ';',
  ',',
  '/',
  '*',
  '**',
  '$',
  '${account}',
  '${',
  '}',
  '(',
  ')',
  ' ',
  '\t',
  '\n',
  '\u0000',
  '\u007f',
  '\u0085',
  '..',
  '\\',
  '?',
  '#',
  '%',
  '_',
  'é',
  '😀',
  '\ud800',
];

/**
 * Any UTF-16 code unit (lone surrogates included) or any code point. Built by
 * hand: fast-check's `unit: 'binary'` takes seconds to set up.
 */
const anyUnit: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
);

/** Any string: arbitrary code units, or one stitched from the specials. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 64 }),
  fc.array(fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: 'grapheme-ascii', maxLength: 4 })), { maxLength: 24 }).map((parts) => parts.join('')),
);

/** Hostile text, and now and then a very long one (beyond every length limit). */
export const hostileOrLong: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc
      .tuple(hostileString, fc.integer({ min: 1_000, max: 20_000 }))
      .map(([text, times]) => (text || 'a').repeat(Math.ceil(times / Math.max(1, text.length)))),
  },
);

/** A segment of a repository name from a tiny alphabet, so names repeat. */
export const nameSegment: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'ab', 'ba', 'app', 'team', 'users', 'alice', '');

/** A repository name of one to five segments (empty segments included: names are kept byte for byte). */
export const repoName: fc.Arbitrary<string> = fc.array(nameSegment, { minLength: 1, maxLength: 5 }).map((segments) => segments.join('/'));

/** A pattern segment: literal text, `*` pieces, `**`, `${account}`. */
export const patternSegment: fc.Arbitrary<string> = fc.constantFrom(
  'a',
  'b',
  'ab',
  'app',
  'team',
  'users',
  '*',
  '**',
  'a*',
  '*b',
  'a*b',
  '*a*',
  '${account}',
  'x${account}*',
);

/** A name pattern of one to six segments (always within the wildcard limits). */
export const namePattern: fc.Arbitrary<string> = fc.array(patternSegment, { minLength: 1, maxLength: 6 }).map((segments) => segments.join('/'));

export const ACTIONS = ['pull', 'push', 'delete', '*'] as const;

/** A non-empty list of distinct actions. */
export const actionList: fc.Arbitrary<string[]> = fc.uniqueArray(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 4 });

export const resourceType: fc.Arbitrary<string> = fc.constantFrom('repository', 'registry');

/** One access entry as written: mostly good ones, some that are refused. */
export const accessEntryText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(resourceType, namePattern, actionList).map(([type, name, actions]) => `${type}:${name}:${actions.join(',')}`) },
  { weight: 1, arbitrary: hostileString.filter((text) => !text.includes(';')) },
);

/** An access string: entries joined by `;`, with padding and trailing separators now and then. */
export const accessString: fc.Arbitrary<string> = fc
  .tuple(fc.array(accessEntryText, { maxLength: 6 }), fc.constantFrom(';', ' ; ', ';;'), fc.boolean())
  .map(([entries, separator, trailing]) => entries.join(separator) + (trailing ? ';' : ''));

/** The requested scopes of one token request, as decide() takes them (one per resource, as after parsing). */
export const requestedScopes = fc.uniqueArray(fc.record({ type: resourceType, name: repoName, actions: actionList }), {
  maxLength: 6,
  selector: (scope) => `${scope.type}:${scope.name}`,
});

/** Accounts a client could try: plain ones and the hostile ones. */
export const account: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('alice', 'bob', 'a', '*', '**', '..', '.', '${account}', 'a/b', '/', '', 'a*', 'al*ce', 'ålice', '😀', 'users', 'alice/..'),
  fc.array(fc.constantFrom('a', 'l', '*', '**', '/', '..', '${account}', '$', '{', '}', 'é', '😀', ' '), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

/**
 * A name the pattern is meant to cover: each `*` filled with a short run,
 * each `**` with zero to two segments, `${account}` with the account. Random
 * names seldom fit a pattern; these make the matching branches common.
 * (A `**` ending the pattern or filled with nothing may still miss: that is
 * for the property under test to decide, not this generator.)
 */
export function nameFitting(pattern: string, accountName: string): fc.Arbitrary<string> {
  const fill = fc.constantFrom('', 'a', 'b', 'xa');
  const segments = pattern.split('/').map((segment) =>
    segment === '**'
      ? fc.array(nameSegment, { maxLength: 2 }).map((parts) => parts.join('/'))
      : fc.array(fill, { minLength: segment.split('*').length - 1, maxLength: segment.split('*').length - 1 }).map((fills) =>
          segment
            .split('*')
            .map((part, i) => part.replaceAll('${account}', accountName) + (fills[i] ?? ''))
            .join(''),
        ),
  );
  return fc.tuple(...segments).map((parts) => parts.filter((part, i) => part !== '' || pattern.split('/')[i] !== '**').join('/'));
}
