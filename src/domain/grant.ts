/**
 * The heart of the server: granted = requested ∩ allowed, with the reasons.
 *
 * A user's access is their own access string plus those of their groups.
 * For each requested resource, the allowed actions are the UNION of every
 * entry, from any of those sources, whose type is the resource's and whose
 * name (exact or pattern) covers it: never the first match, so adding an
 * entry or a group can only add rights. An entry with `*` allows every
 * action asked for, `*` itself included (that is how `registry:catalog:*` is
 * granted). Lacking a permission is not an error: the resource is left out,
 * and the registry answers the client with `insufficient_scope`.
 *
 * The token endpoint and the `explain` command both call `decide`, so what
 * `explain` says is what the server does.
 */
import { LRUCache } from 'lru-cache';
import { type AccessEntries, readAccess, type AccessEntry, type AccessRule } from './access.js';
import { bindPattern, compileName, type NameMatcher } from './glob.js';
import type { ResourceScope } from './scope.js';

/** Groups a user may belong to; the caller refuses more (a decision does not check). */
export const MAX_GROUPS_PER_USER = 32;

/**
 * Where an entry comes from: the user's own access string, a group's (named;
 * `via` says which login made the user a member, for directory users), or a
 * login's own access (a CI role's template bound to the token's claims).
 */
export type SourceRef =
  | { readonly kind: 'user' }
  | { readonly kind: 'group'; readonly name: string; readonly via?: string }
  | { readonly kind: 'login'; readonly name: string };

/** One access string and where it comes from. */
export interface AccessSource {
  readonly source: SourceRef;
  readonly access: string;
}

/** An entry as written, and whose it is. */
export interface EntryRef {
  readonly source: SourceRef;
  readonly entry: string;
}

export interface IgnoredEntry extends EntryRef {
  readonly reason: string;
}

export type ActionExplanation =
  | { readonly action: string; readonly granted: true; readonly by: readonly EntryRef[] }
  | { readonly action: string; readonly granted: false; readonly reason: string };

export interface ScopeExplanation {
  readonly scope: ResourceScope;
  /** Every entry whose type and name cover the resource, whatever its actions. */
  readonly matched: readonly EntryRef[];
  /** One per requested action, in the requested order. */
  readonly actions: readonly ActionExplanation[];
}

export interface Decision {
  /** Exactly what goes in the token's `access` claim. */
  readonly granted: ResourceScope[];
  readonly scopes: ScopeExplanation[];
  /** Entries that do not parse (or are beyond the limit): the caller reports them once. */
  readonly ignored: IgnoredEntry[];
}

interface BoundEntry {
  readonly ref: EntryRef;
  readonly type: string;
  readonly actions: readonly string[];
  readonly matches: NameMatcher;
}

export function decide(requested: readonly ResourceScope[], sources: readonly AccessSource[], account: string): Decision {
  const entries: BoundEntry[] = [];
  const ignored: IgnoredEntry[] = [];
  for (const { source, access } of sources) {
    const read = parsedAccess(access);
    for (const { entry, reason } of read.rejected) ignored.push({ source, entry, reason });
    for (const entry of read.entries) entries.push(bind(source, entry, account));
  }
  return { ...judge(requested, entries), ignored };
}

/**
 * Access strings parsed once, not per request: the same few strings (a
 * user's, their groups') come with every token. Parsing is pure, so a
 * bounded memo of the parsed form is always right; entries are read-only.
 */
const parsed = new LRUCache<string, AccessEntries>({ max: 10_000 });

function parsedAccess(access: string): AccessEntries {
  let read = parsed.get(access);
  if (read === undefined) {
    read = readAccess(access);
    parsed.set(access, read);
  }
  return read;
}

function bind(source: SourceRef, entry: AccessEntry, account: string): BoundEntry {
  return { ref: { source, entry: entry.entry }, type: entry.type, actions: entry.actions, matches: bindPattern(entry.pattern, account) };
}

function judge(requested: readonly ResourceScope[], entries: readonly BoundEntry[]): Pick<Decision, 'granted' | 'scopes'> {
  const granted: ResourceScope[] = [];
  const scopes: ScopeExplanation[] = [];
  for (const scope of requested) {
    const matched = entries.filter((entry) => entry.type === scope.type && entry.matches(scope.name));
    const actions = scope.actions.map((action) => explainAction(scope, action, matched));
    scopes.push({ scope, matched: matched.map((entry) => entry.ref), actions });
    const allowed = actions.filter((explained) => explained.granted).map((explained) => explained.action);
    if (allowed.length > 0) granted.push({ type: scope.type, name: scope.name, actions: allowed });
  }
  return { granted, scopes };
}

function explainAction(scope: ResourceScope, action: string, matched: readonly BoundEntry[]): ActionExplanation {
  const by = matched.filter((entry) => entry.actions.includes('*') || entry.actions.includes(action)).map((entry) => entry.ref);
  if (by.length > 0) return { action, granted: true, by };
  if (matched.length === 0) return { action, granted: false, reason: `no entry names this ${scope.type}` };
  return { action, granted: false, reason: `entries name it but none allows ${action}` };
}

const USER: SourceRef = { kind: 'user' };

/**
 * The decision's grants for rules already parsed, all the user's own. Kept
 * for callers that predate `decide`: exact names behave as they always did.
 * Without `account`, entries using `${account}` match nothing.
 */
export function grant(requested: readonly ResourceScope[], rules: readonly AccessRule[], account?: string): ResourceScope[] {
  const entries = rules.map((rule) => ({
    ref: { source: USER, entry: `${rule.type}:${rule.name}:${rule.actions.join(',')}` },
    type: rule.type,
    actions: rule.actions,
    matches: compileName(rule.name, account ?? null),
  }));
  return judge(requested, entries).granted;
}
