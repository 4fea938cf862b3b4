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
 * Names are split at `/` into segments. `**` must be a whole segment and
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
 */
function runMatcher(segments: readonly (Chunks | null)[]): NameMatcher {
  const runs: Chunks[][] = [[]];
  for (const segment of segments) {
    if (segment === null) runs.push([]);
    else runs[runs.length - 1]?.push(segment);
  }
  const head = runs[0] ?? [];
  if (runs.length === 1) return (name) => matchWhole(head, name.split('/'));
  const tail = runs[runs.length - 1] ?? [];
  const middles = runs.slice(1, -1);
  const trailingGlobstar = segments.at(-1) === null;
  return (name) => {
    const names = name.split('/');
    const end = names.length - tail.length;
    if (end < head.length || !matchRunAt(head, names, 0) || !matchRunAt(tail, names, end)) return false;
    let position = head.length;
    for (const run of middles) {
      const at = findRun(run, names, position, end);
      if (at < 0) return false;
      position = at + run.length;
    }
    // A final `**` stands for one segment at least: `team/**` is what is inside team.
    return !trailingGlobstar || end - position >= 1;
  };
}

function matchWhole(run: readonly Chunks[], names: readonly string[]): boolean {
  return names.length === run.length && matchRunAt(run, names, 0);
}

function matchRunAt(run: readonly Chunks[], names: readonly string[], at: number): boolean {
  for (let i = 0; i < run.length; i++) {
    if (!matchSegment(run[i] ?? [], names[at + i] ?? '')) return false;
  }
  return true;
}

/** The leftmost index in [from, end - run.length] where the run fits; -1 if none. */
function findRun(run: readonly Chunks[], names: readonly string[], from: number, end: number): number {
  for (let at = from; at + run.length <= end; at++) {
    if (matchRunAt(run, names, at)) return at;
  }
  return -1;
}

/** One segment: first chunk a prefix, last a suffix, the ones between at their leftmost place. */
function matchSegment(chunks: Chunks, name: string): boolean {
  const first = chunks[0] ?? '';
  if (chunks.length === 1) return name === first;
  const last = chunks[chunks.length - 1] ?? '';
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  const limit = name.length - last.length;
  let position = first.length;
  for (let i = 1; i < chunks.length - 1; i++) {
    const chunk = chunks[i] ?? '';
    if (chunk === '') continue;
    const at = name.indexOf(chunk, position);
    if (at < 0 || at + chunk.length > limit) return false;
    position = at + chunk.length;
  }
  return true;
}
