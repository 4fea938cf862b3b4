/**
 * Properties of Basic credentials: any Authorization header parses or is
 * refused without throwing, and a header built from a user name (no colon)
 * and a password (anything, colons included) reads back as exactly those.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBasicAuth } from '../../src/domain/basic-auth.js';
import { hostileOrLong } from '../helpers/arbitraries.js';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

test('property: parseBasicAuth never throws, and a user name it returns has no colon', () => {
  const headers = fc.oneof(
    hostileOrLong,
    hostileOrLong.map((text) => `Basic ${text}`),
    hostileOrLong.map((text) => `Basic ${base64(text)}`),
  );
  fc.assert(
    fc.property(headers, (header) => {
      const credentials = parseBasicAuth(header);
      if (credentials !== null) assert.equal(credentials.username.includes(':'), false);
    }),
    { numRuns: 1_000 },
  );
});

test('property: Basic base64(user:password) reads back as user and password', () => {
  // Well-formed Unicode only: a lone surrogate cannot survive UTF-8, whoever encodes it.
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const scheme = fc.constantFrom('Basic', 'basic', 'BASIC', 'bAsIc');
  const space = fc.constantFrom(' ', '\t', '  ');
  fc.assert(
    fc.property(
      text.filter((t) => !t.includes(':')),
      text,
      scheme,
      space,
      (username, password, written, gap) => {
        assert.deepEqual(parseBasicAuth(`${written}${gap}${base64(`${username}:${password}`)}`), { username, password });
      },
    ),
    { numRuns: 1_000 },
  );
});
