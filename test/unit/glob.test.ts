import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileName, MAX_PATTERN_SEGMENTS, MAX_PATTERN_WILDCARDS, parseNamePattern } from '../../src/domain/glob.js';

function matches(pattern: string, name: string, account: string | null = null): boolean {
  const parsed = parseNamePattern(pattern);
  assert.ok(parsed.ok, `${pattern} should parse`);
  return compileName(pattern, account)(name);
}

function table(pattern: string, yes: string[], no: string[], account: string | null = null): void {
  for (const name of yes) assert.equal(matches(pattern, name, account), true, `${pattern} should match ${name}`);
  for (const name of no) assert.equal(matches(pattern, name, account), false, `${pattern} should not match ${name}`);
}

function refused(pattern: string): string {
  const parsed = parseNamePattern(pattern);
  assert.equal(parsed.ok, false, `${pattern} should be refused`);
  return parsed.ok ? '' : parsed.reason;
}

test('a name without wildcards is compared byte for byte', () => {
  table('team/app', ['team/app'], ['team/App', 'team/app/x', 'team', 'team/ap', 'xteam/app']);
  table('localhost:5000/app', ['localhost:5000/app'], ['localhost:5001/app']);
});

test('* matches within one segment, never a /', () => {
  table('team/*', ['team/app', 'team/db', 'team/'], ['team', 'team/a/b', 'other/app', 'teams/app']);
  table('*/app', ['team/app', 'x/app'], ['app', 'a/b/app']);
  table('*', ['app'], ['a/b']);
});

test('* inside a segment matches any run of characters other than /', () => {
  table('team/app-*', ['team/app-', 'team/app-1', 'team/app-x-y'], ['team/app', 'team/app-1/x', 'team/xapp-1']);
  table('team/*-db', ['team/a-db', 'team/-db', 'team/a-b-db'], ['team/a-db2', 'team/a/b-db']);
  table('t*m/a*p*', ['team/app', 'tm/ap', 'tXm/aXpY'], ['team/bpp', 'team/a']);
  // Prefix and suffix may not overlap.
  table('ab*ba', ['abba', 'ab-ba'], ['aba', 'ab']);
});

test('** matches whole segments: zero or more, one or more at the end', () => {
  // The end: what is inside team, not team itself.
  table('team/**', ['team/app', 'team/a/b', 'team/a/b/c'], ['team', 'teams/app', 'other/team/app']);
  // The start: at any depth, the top level included.
  table('**/app', ['app', 'team/app', 'a/b/app'], ['app/x', 'team/apps']);
  // Between: zero or more segments.
  table('team/**/app', ['team/app', 'team/x/app', 'team/x/y/app'], ['team', 'team/x', 'app', 'team/app/x']);
  // Alone: any name.
  table('**', ['app', 'a/b/c'], []);
  // Both ends: inside any segment named app.
  table('**/app/**', ['app/x', 'a/app/x/y'], ['app', 'a/app']);
  table('a/**/b/**/c', ['a/b/c', 'a/x/b/y/c', 'a/b/b/c', 'a/x/b/b/y/c'], ['a/c', 'a/b', 'a/x/c']);
});

test('empty segments count as segments, at either end too (the tail is found from the end of the name)', () => {
  table('**/*/app/*', ['/app/', 'x/app/', '/app/x', 'a//app/'], ['app/', '/app', 'app']);
  table('**/b', ['/b', 'b', 'a//b'], ['b/', '/']);
  table('*/**', ['/x', '/', 'a/'], ['a', '']);
  table('a/**/b', ['a//b', 'a/b'], ['a/', '/b']);
});

test('consecutive ** are one', () => {
  table('team/**/**/app', ['team/app', 'team/x/app'], ['team']);
  table('**/**', ['a', 'a/b'], []);
});

test('** must be a whole segment', () => {
  for (const pattern of ['team/app**', 'team/**app', 'team/***', '***']) assert.match(refused(pattern), /whole path segment/u);
});

test('${account} is replaced by the account, literally', () => {
  table('users/${account}', ['users/alice'], ['users/bob', 'users/alice/x', 'users/${account}'], 'alice');
  table('${account}/*', ['alice/app'], ['alice', 'alice/a/b', 'bob/app'], 'alice');
  table('team/${account}-*', ['team/alice-app'], ['team/alice', 'team/bob-app'], 'alice');
  table('users/${account}/**', ['users/alice/a', 'users/alice/a/b'], ['users/alice', 'users/bob/a'], 'alice');
});

test('an account that looks like a pattern only gets its literal namespace', () => {
  table('users/${account}', ['users/*'], ['users/alice', 'users/**'], '*');
  table('users/${account}/*', ['users/**/app'], ['users/alice/app', 'users/x/y/app'], '**');
  table('users/${account}', ['users/${account}'], ['users/alice'], '${account}');
  table('users/${account}-x', ['users/a*-x'], ['users/ab-x'], 'a*');
});

test('an account with a / or empty, or no account at all, matches nothing', () => {
  table('users/${account}', [], ['users/a/**', 'users/a', 'users/a/b'], 'a/**');
  table('users/${account}/*', [], ['users/a/b/c', 'users//x'], 'a/b');
  table('users/${account}', [], ['users/'], '');
  table('users/${account}', [], ['users/${account}', 'users/'], null);
  // A pattern without ${account} does not need an account.
  table('team/*', ['team/app'], [], null);
});

test('a $ other than ${account} is refused', () => {
  assert.match(refused('users/${user}'), /unknown placeholder \$\{user\}/u);
  assert.match(refused('users/${account'), /unknown placeholder/u);
  assert.match(refused('users/$x'), /may only begin/u);
  assert.match(refused('users/${acc/ount}'), /unknown placeholder/u);
});

test('segments and wildcards are bounded, exact names are not', () => {
  const deep = (n: number, last: string) => [...Array.from({ length: n - 1 }, () => 'a'), last].join('/');
  assert.equal(parseNamePattern(deep(MAX_PATTERN_SEGMENTS, '*')).ok, true);
  assert.match(refused(deep(MAX_PATTERN_SEGMENTS + 1, '*')), /at most 32 path segments/u);
  assert.equal(parseNamePattern(deep(MAX_PATTERN_SEGMENTS + 10, 'b')).ok, true);
  assert.equal(parseNamePattern(`*${'a*'.repeat(MAX_PATTERN_WILDCARDS - 1)}`).ok, true);
  assert.match(refused('a*'.repeat(MAX_PATTERN_WILDCARDS + 1)), /at most 32 wildcards/u);
});

test('pathological patterns end at once (no backtracking)', () => {
  const as = 'a'.repeat(10_000);
  assert.equal(matches('*a*a*a*a*a*a*a*b', as), false);
  assert.equal(matches('*a*a*a*a*a*a*a*b*', as), false);
  assert.equal(matches('*a*a*a*a*a*a*a*a*', as), true);
  assert.equal(matches(`${'a*'.repeat(31)}b`, as), false);
  const segments = Array.from({ length: 5_000 }, () => 'a').join('/');
  assert.equal(matches('**/a/a/a/a/a/a/a/b/**', segments), false);
  assert.equal(matches('**/*a*a*b/**/a', segments), false);
  assert.equal(matches('**/a/**/a/**/a/**/a/**/b', segments), false);
  assert.equal(matches('**/a/**/b/**/a', segments), false);
  assert.equal(matches('**/a/**/a/**/a/**/a', segments), true);
});

/**
 * The work a match does, counted from outside the matcher (so it costs
 * production nothing): the String methods it calls are wrapped for the
 * duration of `run`. Each search counts the stretch a plain left-to-right
 * (or right-to-left) scan reads, up to where it found the text or to the
 * end; `startsWith` the characters it compares; `slice` and `split` what
 * they copy; and the segments a split hands out count their length each
 * time they are read. A matcher that backtracked, tried every split of the
 * name or searched the whole name again for each segment would count far
 * beyond a constant times the name's length.
 */
function countSteps(run: () => boolean): { result: boolean; steps: number } {
  const proto = String.prototype;
  const saved = { split: proto.split, indexOf: proto.indexOf, lastIndexOf: proto.lastIndexOf, startsWith: proto.startsWith, slice: proto.slice };
  let steps = 0;
  const watched = (parts: string[]): string[] =>
    new Proxy(parts, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/u.test(key)) steps += (target[Number(key)]?.length ?? 0) + 1;
        return Reflect.get(target, key, receiver);
      },
    });
  Object.assign(proto, {
    split(this: string, separator: string, limit?: number) {
      steps += this.length;
      return watched((saved.split as (this: string, separator: string, limit?: number) => string[]).call(this, separator, limit));
    },
    indexOf(this: string, search: string, position = 0) {
      const found = saved.indexOf.call(this, search, position);
      steps += Math.max(1, (found < 0 ? this.length : found + search.length) - position);
      return found;
    },
    lastIndexOf(this: string, search: string, position = Number.POSITIVE_INFINITY) {
      const found = saved.lastIndexOf.call(this, search, position);
      steps += Math.max(1, Math.min(position, this.length) - Math.max(found, 0) + 1);
      return found;
    },
    startsWith(this: string, search: string, position = 0) {
      steps += Math.max(1, Math.min(search.length, this.length - position));
      return saved.startsWith.call(this, search, position);
    },
    slice(this: string, start?: number, end?: number) {
      const part = saved.slice.call(this, start, end);
      steps += part.length + 1;
      return part;
    },
  });
  try {
    return { result: run(), steps };
  } finally {
    Object.assign(proto, saved);
  }
}

test('matching is linear in the name: pathological patterns on 100,000-character names (answers, and counted steps)', () => {
  const n = 100_000;
  const as = 'a'.repeat(n);
  const path = (segment: string) => Array.from({ length: Math.floor(n / (segment.length + 1)) }, () => segment).join('/');
  // The cases of bench/glob-micro.ts, and runs of wildcards at the limits.
  const cases: [pattern: string, name: string, expected: boolean][] = [
    ['a*a*a*a*a*a*a*b', as, false],
    ['a*a*a*a*a*a*a*b', `${'a'.repeat(n - 1)}b`, true],
    ['a*c*a*a*a*a*a*b', `${'a'.repeat(n - 1)}b`, false],
    [`${'*a'.repeat(30)}*c`, as, false],
    [`${'*a'.repeat(MAX_PATTERN_WILDCARDS - 1)}*`, as, true],
    [`${'a*'.repeat(15)}a*b*a`, as, false],
    ['**/a/**/a/**/a/**/b', path('a'), false],
    ['**/a/**/a/**/a/**/b', `${path('a')}/b`, true],
    ['**/a/c/**/b', `${path('a')}/b`, false],
    ['**/*a*/**/*a*/**/*b*', path('aaaa'), false],
    [`**/${'a/'.repeat(MAX_PATTERN_SEGMENTS - 3)}b/**`, path('a'), false],
    [`**/${'*a*/'.repeat(15)}b/**`, path('aaa'), false],
    [`**/${'a*a*a*/'.repeat(8)}b/**`, path('aaaaaaaa'), false],
    // Runs without wildcards are searched as one text: near misses everywhere.
    [`**/${'a/'.repeat(MAX_PATTERN_SEGMENTS - 4)}c/**/b`, `${path('a')}/b`, false],
    ['**/a/b/**/z', `${path('a/bc')}/z`, false],
    ['**/ab/**/a', `${path('xab')}/ab/a`, true],
    [`**/${'a/'.repeat(MAX_PATTERN_SEGMENTS - 3)}a/**`, path('a'), true],
    ['team/app', `team/${as}`, false],
  ];
  const bound = (MAX_PATTERN_SEGMENTS + MAX_PATTERN_WILDCARDS) * (n + 1);
  for (const [pattern, name, expected] of cases) {
    assert.ok(parseNamePattern(pattern).ok, `${pattern} should parse`);
    const matcher = compileName(pattern, null);
    const { result, steps } = countSteps(() => matcher(name));
    assert.equal(result, expected, pattern);
    assert.ok(steps <= bound, `${pattern}: ${steps} steps for ${name.length} characters (at most ${bound})`);
  }
  // The counter sees the work: a match that must read the name counts at least its length.
  assert.ok(countSteps(() => compileName('a*b', null)(as)).steps >= n);
});
