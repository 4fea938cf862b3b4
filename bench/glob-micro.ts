/**
 * A micro-benchmark of name matching on pathological cases: patterns built to
 * make a backtracking matcher explode, against names of growing length. The
 * matcher in src/domain/glob.ts is meant to be linear in the name's length,
 * so matches/second should fall about tenfold when the name grows tenfold,
 * not collapse. (The unit tests check the answers; timing lives here only.)
 *
 *   npm run build && node dist/bench/glob-micro.js [milliseconds per case]
 */
import { performance } from 'node:perf_hooks';
import { compileName } from '../src/domain/glob.js';

const budget = Number(process.argv[2] ?? 200);
const lengths = [1_000, 10_000, 100_000];

interface Case {
  readonly label: string;
  readonly pattern: string;
  readonly name: (length: number) => string;
  readonly expected: boolean;
}

const path = (length: number, segment: string): string =>
  Array.from({ length: Math.max(1, Math.floor(length / (segment.length + 1))) }, () => segment).join('/');

const cases: Case[] = [
  { label: 'stars, no match', pattern: 'a*a*a*a*a*a*a*b', name: (n) => 'a'.repeat(n), expected: false },
  { label: 'stars, match at the end', pattern: 'a*a*a*a*a*a*a*b', name: (n) => `${'a'.repeat(n - 1)}b`, expected: true },
  // The ends fit, so the middle chunks are searched over the whole name.
  { label: 'stars, middle never fits', pattern: 'a*c*a*a*a*a*a*b', name: (n) => `${'a'.repeat(n - 1)}b`, expected: false },
  { label: '30 stars, no match', pattern: `${'*a'.repeat(30)}*c`, name: (n) => 'a'.repeat(n), expected: false },
  { label: 'globstars, no match', pattern: '**/a/**/a/**/a/**/b', name: (n) => path(n, 'a'), expected: false },
  { label: 'globstars, match at the end', pattern: '**/a/**/a/**/a/**/b', name: (n) => `${path(n, 'a')}/b`, expected: true },
  { label: 'globstars, middle never fits', pattern: '**/a/c/**/b', name: (n) => `${path(n, 'a')}/b`, expected: false },
  { label: 'globstars and stars', pattern: '**/*a*/**/*a*/**/*b*', name: (n) => path(n, 'aaaa'), expected: false },
  { label: 'exact name (baseline)', pattern: 'team/app', name: (n) => `team/${'a'.repeat(n)}`, expected: false },
];

console.log(`glob matching, ${budget} ms per case (matches/second; higher is better)`);
console.log(['case'.padEnd(30), ...lengths.map((n) => `${n.toLocaleString('en')} chars`.padStart(16))].join(''));
for (const c of cases) {
  const matcher = compileName(c.pattern, null);
  const cells = lengths.map((length) => {
    const name = c.name(length);
    if (matcher(name) !== c.expected) throw new Error(`${c.label}: wrong answer for ${length} characters`);
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < budget) {
      for (let i = 0; i < 16; i++) matcher(name);
      count += 16;
    }
    const perSecond = (count / (performance.now() - start)) * 1000;
    return Math.round(perSecond).toLocaleString('en').padStart(16);
  });
  console.log([c.label.padEnd(30), ...cells].join(''));
}
