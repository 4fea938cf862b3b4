/**
 * Name patterns of access entries, compiled once and matched in linear time.
 *
 *   team/app        exactly that name (byte for byte, as before globs)
 *   team/app-*      `*` is any run of characters other than `/` (maybe none)
 *   team/*          one segment below team (not team/a/b, not team)
 *   team/**         one or more segments below team (not team itself)
 *   **\/app         app at any depth, the top level included
 *   team/**\/app    app anywhere below team, team/app included
 *   users/${account}/*   the authenticated account, taken literally
 *
 * Names are made of segments separated by `/`. `**` must be a whole segment and
 * matches whole segments: zero or more, except at the end of a pattern where
 * it matches one or more (so `team/**` means "inside team", as in .gitignore).
 *
 * Why no regular expression: patterns are stored data and names come from
 * clients, so a regex built from them could backtrack exponentially. Instead a
 * pattern is a list of segments, each a list of star-free chunks; matching
 * places each `**`-free run of segments at its leftmost fit and, inside a
 * segment, each chunk at its leftmost fit. Leftmost is always safe: whatever
 * follows a wildcard gets the most room. With at most MAX_PATTERN_SEGMENTS
 * segments the cost is O(name length × MAX_PATTERN_SEGMENTS).
 */

export const MAX_PATTERN_SEGMENTS = 32;
/** `*` and `**` together. */
export const MAX_PATTERN_WILDCARDS = 32;
export const ACCOUNT_PLACEHOLDER = '${account}';

type Piece = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'star' } | { readonly kind: 'account' };
type PatternSegment = { readonly kind: 'globstar' } | { readonly kind: 'segment'; readonly pieces: readonly Piece[] };

/** A parsed pattern, not yet bound to an account. */
export interface NamePattern {
  readonly segments: readonly PatternSegment[];
  /** How many `*` and `**`; zero means the name is compared exactly. */
  readonly wildcards: number;
  readonly usesAccount: boolean;
}

export type PatternParse = { ok: true; pattern: NamePattern } | { ok: false; reason: string };

/** Decides whether a requested name is covered. */
export type NameMatcher = (name: string) => boolean;

const GLOBSTAR: PatternSegment = { kind: 'globstar' };
const STAR: Piece = { kind: 'star' };
const ACCOUNT: Piece = { kind: 'account' };

export function parseNamePattern(text: string): PatternParse {
  const parts = text.split('/');
  const segments: PatternSegment[] = [];
  let wildcards = 0;
  let usesAccount = false;
  for (const part of parts) {
    if (part === '**') {
      wildcards++;
      // `a/**/**/b` means `a/**/b`: one globstar already takes any number of segments.
      if (segments.at(-1) !== GLOBSTAR) segments.push(GLOBSTAR);
      continue;
    }
    if (part.includes('**')) return { ok: false, reason: '"**" must be a whole path segment, as in team/** or team/**/app' };
    const parsed = parseSegment(part);
    if (!parsed.ok) return parsed;
    wildcards += parsed.pieces.filter((piece) => piece === STAR).length;
    usesAccount ||= parsed.pieces.includes(ACCOUNT);
    segments.push({ kind: 'segment', pieces: parsed.pieces });
  }
  // Exact names keep working whatever their depth: only the search for
  // wildcards costs in proportion to the number of segments.
  if (wildcards > 0 && parts.length > MAX_PATTERN_SEGMENTS) {
    return { ok: false, reason: `a name with wildcards may have at most ${MAX_PATTERN_SEGMENTS} path segments (it has ${parts.length})` };
  }
  if (wildcards > MAX_PATTERN_WILDCARDS) return { ok: false, reason: `at most ${MAX_PATTERN_WILDCARDS} wildcards (* or **) per name (it has ${wildcards})` };
  return { ok: true, pattern: { segments, wildcards, usesAccount } };
}

function parseSegment(part: string): { ok: true; pieces: Piece[] } | { ok: false; reason: string } {
  const pieces: Piece[] = [];
  let start = 0;
  const flush = (end: number) => {
    if (end > start) pieces.push({ kind: 'text', text: part.slice(start, end) });
  };
  for (let i = 0; i < part.length; ) {
    if (part[i] === '*') {
      flush(i);
      pieces.push(STAR);
      start = ++i;
    } else if (part[i] === '$') {
      if (!part.startsWith(ACCOUNT_PLACEHOLDER, i)) return { ok: false, reason: placeholderProblem(part.slice(i)) };
      flush(i);
      pieces.push(ACCOUNT);
      i += ACCOUNT_PLACEHOLDER.length;
      start = i;
    } else {
      i++;
    }
  }
  flush(part.length);
  return { ok: true, pieces };
}

function placeholderProblem(rest: string): string {
  if (!rest.startsWith('${')) return `a "$" may only begin ${ACCOUNT_PLACEHOLDER}`;
  const end = rest.indexOf('}');
  const shown = end < 0 ? rest : rest.slice(0, end + 1);
  return `unknown placeholder ${shown}: the only one is ${ACCOUNT_PLACEHOLDER}`;
}

const NEVER: NameMatcher = () => false;

/**
 * Binds a pattern to the authenticated account. The account becomes literal
 * text of its segment, never pattern syntax: a user named `*` gets `users/*`
 * byte for byte. An account that is empty or holds a `/` (impossible for
 * stored users, whose names are path segments) matches nothing rather than
 * something unexpected; so does any use of the account when there is none.
 */
export function bindPattern(pattern: NamePattern, account: string | null): NameMatcher {
  if (pattern.usesAccount && (account === null || account === '' || account.includes('/'))) return NEVER;
  const compiled = pattern.segments.map((segment) => (segment.kind === 'globstar' ? null : chunksOf(segment.pieces, account ?? '')));
  if (pattern.wildcards === 0) {
    const exact = compiled.map((chunks) => (chunks ?? [])[0] ?? '').join('/');
    return (name) => name === exact;
  }
  return runMatcher(compiled);
}

/** Parses and binds in one go; a pattern that does not parse matches nothing. */
export function compileName(text: string, account: string | null): NameMatcher {
  const parsed = parseNamePattern(text);
  return parsed.ok ? bindPattern(parsed.pattern, account) : NEVER;
}

/** A segment's star-free chunks: `a*b${account}*` → ['a', 'b<account>', '']; one chunk = no star. */
type Chunks = readonly string[];

function chunksOf(pieces: readonly Piece[], account: string): Chunks {
  const chunks = [''];
  for (const piece of pieces) {
    if (piece.kind === 'star') chunks.push('');
    else chunks[chunks.length - 1] += piece.kind === 'text' ? piece.text : account;
  }
  return chunks;
}

/**
 * `head/**\/middle/**\/…/**\/tail`: head and tail are anchored at the ends of
 * the name; each middle run goes to its leftmost fit after the previous one.
 * `null` stands for `**` (consecutive ones were merged when parsing).
 *
 * The name is never split: a segment is found by looking for its `/` from
 * where it starts, and is named by that offset (`name.length + 1` stands
 * for "after the last segment"). Splitting a 100,000-character name into its
 * 50,000 segments cost more than all the matching that followed.
 */
function runMatcher(segments: readonly (Chunks | null)[]): NameMatcher {
  const runs: Chunks[][] = [[]];
  for (const segment of segments) {
    if (segment === null) runs.push([]);
    else runs[runs.length - 1]?.push(segment);
  }
  const head = runs[0] ?? [];
  if (runs.length === 1) return (name) => matchRunAt(head, name, 0, name.length + 1) === name.length + 1;
  const tail = runs[runs.length - 1] ?? [];
  const middles = runs.slice(1, -1).map((run) => ({ run, literal: literalOf(run) }));
  const trailingGlobstar = segments.at(-1) === null;
  return (name) => {
    const after = name.length + 1;
    const tailStart = startOfLast(name, tail.length);
    if (tailStart < 0 || matchRunAt(tail, name, tailStart, after) !== after) return false;
    let position = matchRunAt(head, name, 0, tailStart);
    if (position < 0) return false;
    for (const { run, literal } of middles) {
      position = literal === null ? findRun(run, name, position, tailStart) : findLiteral(literal, name, position, tailStart);
      if (position < 0) return false;
    }
    // A final `**` stands for one segment at least: `team/**` is what is inside team.
    return !trailingGlobstar || position < tailStart;
  };
}

/** Where the last `count` segments of the name begin (`name.length + 1` for none); -1 if it has fewer. */
function startOfLast(name: string, count: number): number {
  let start = name.length + 1;
  for (let i = 0; i < count; i++) {
    if (start === 0) return -1;
    // The segment before the one at `start` ends at start - 1; a search from -1 would be read as from 0.
    start = start >= 2 ? name.lastIndexOf('/', start - 2) + 1 : 0;
  }
  return start;
}

/**
 * The run's segments from the `skip`-th on, against the name's from offset
 * `at`, none of them starting at or after `limit`: where the next segment
 * starts, or -1.
 */
function matchRunAt(run: readonly Chunks[], name: string, at: number, limit: number, skip = 0): number {
  let start = at;
  for (let i = skip; i < run.length; i++) {
    if (start >= limit) return -1;
    const slash = name.indexOf('/', start);
    const end = slash < 0 ? name.length : slash;
    if (!matchSegment(run[i] ?? [], name, start, end)) return -1;
    start = end + 1;
  }
  return start;
}

/** The leftmost segment from `from` where the run fits before `limit`: where the segment after it starts; -1 if none. */
function findRun(run: readonly Chunks[], name: string, from: number, limit: number): number {
  const first = run[0] ?? [];
  for (let at = from; at < limit; ) {
    // Each segment's end is found once: it is where the next try starts.
    const slash = name.indexOf('/', at);
    const end = slash < 0 ? name.length : slash;
    if (matchSegment(first, name, at, end)) {
      const next = matchRunAt(run, name, end + 1, limit, 1);
      if (next >= 0 && next <= limit) return next;
    }
    at = end + 1;
  }
  return -1;
}

/** A run without wildcards is one text, `team/app`: searched for in one go rather than segment by segment. */
function literalOf(run: readonly Chunks[]): string | null {
  return run.every((chunks) => chunks.length === 1) ? run.map((chunks) => chunks[0] ?? '').join('/') : null;
}

/**
 * findRun for a run without wildcards: its text where a segment begins (at
 * `from`, or right after a `/`) and one ends. Only a text followed by more of
 * its last segment is passed over, so no stretch is searched twice beyond the
 * length of the text.
 */
function findLiteral(literal: string, name: string, from: number, limit: number): number {
  const endsSegment = (end: number): boolean => end === name.length || name.charCodeAt(end) === SLASH;
  if (from < limit && name.startsWith(literal, from) && endsSegment(from + literal.length))
    return from + literal.length + 1 <= limit ? from + literal.length + 1 : -1;
  const needle = `/${literal}`;
  for (let at = from; ; ) {
    const found = name.indexOf(needle, at);
    const start = found + 1;
    if (found < 0 || start >= limit) return -1;
    const end = start + literal.length;
    if (endsSegment(end)) return end + 1 <= limit ? end + 1 : -1;
    at = start;
  }
}

const SLASH = 0x2f;

/** One segment, name[start, end): first chunk a prefix, last a suffix, the ones between at their leftmost place. */
function matchSegment(chunks: Chunks, name: string, start: number, end: number): boolean {
  const first = chunks[0] ?? '';
  if (chunks.length === 1) return end - start === first.length && name.startsWith(first, start);
  const last = chunks[chunks.length - 1] ?? '';
  if (end - start < first.length + last.length || !name.startsWith(first, start) || !name.startsWith(last, end - last.length)) return false;
  if (chunks.length === 2) return true;
  // Chunks in between are looked for within the segment only: a search of the whole name would cost its length each time.
  const segment = name.slice(start, end);
  const limit = segment.length - last.length;
  let position = first.length;
  for (let i = 1; i < chunks.length - 1; i++) {
    const chunk = chunks[i] ?? '';
    if (chunk === '') continue;
    const at = segment.indexOf(chunk, position);
    if (at < 0 || at + chunk.length > limit) return false;
    position = at + chunk.length;
  }
  return true;
}
