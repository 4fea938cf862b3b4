/**
 * Access strings: what a user (or a group) may do, as stored beside the password.
 *
 *   repository:linux/app:*;repository:team/**:pull;repository:users/${account}/*:*
 *
 * Entries are separated by `;` and may be padded with spaces; a trailing `;`
 * is fine. Each entry reads like a scope (`type:name:actions`), where `*`
 * stands for every action and the name may be a pattern (see glob.ts). An
 * entry that does not parse is returned apart with its reason, so the caller
 * can report it, and never stops the good entries from working: ignoring an
 * entry can only grant less.
 */
import { parseNamePattern, type NamePattern } from './glob.js';
import { MAX_SCOPE_LENGTH, isResourceName, splitActions, splitResource } from './scope.js';

/** Entries read per access string; the ones after are ignored and reported. */
export const MAX_ENTRIES_PER_ACCESS = 256;

export interface AccessRule {
  readonly type: string;
  /** The name as written: an exact name or a pattern. */
  readonly name: string;
  /** Allowed actions; containing `*` means every action. */
  readonly actions: readonly string[];
}

/** A rule with what a decision needs: the entry as written and its compiled name. */
export interface AccessEntry extends AccessRule {
  readonly entry: string;
  readonly pattern: NamePattern;
}

export interface RejectedEntry {
  /** The entry as written (trimmed). */
  readonly entry: string;
  /** 1 for the first non-empty entry; beyond MAX_ENTRIES_PER_ACCESS, this record stands for the rest. */
  readonly position: number;
  readonly reason: string;
}

export interface AccessEntries {
  readonly entries: readonly AccessEntry[];
  /** Entries that do not parse, and one record for any beyond MAX_ENTRIES_PER_ACCESS. */
  readonly rejected: readonly RejectedEntry[];
}

export type EntryParse = { ok: true; entry: AccessEntry } | { ok: false; reason: string };

const TYPE = /^[a-z0-9]+$/u;

/** Every entry of an access string, parsed, with the reasons for those set apart. */
export function readAccess(text: string): AccessEntries {
  const entries: AccessEntry[] = [];
  const rejected: RejectedEntry[] = [];
  const written = text
    .split(';')
    .map((raw) => raw.trim())
    .filter((entry) => entry.length > 0);
  written.slice(0, MAX_ENTRIES_PER_ACCESS).forEach((entry, i) => {
    const parsed = parseAccessEntry(entry);
    if (parsed.ok) entries.push(parsed.entry);
    else rejected.push({ entry, position: i + 1, reason: parsed.reason });
  });
  // One record for all the entries beyond the limit: the log says it once.
  const first = written[MAX_ENTRIES_PER_ACCESS];
  if (first !== undefined) rejected.push({ entry: first, position: MAX_ENTRIES_PER_ACCESS + 1, reason: overflowReason(written.length) });
  return { entries, rejected };
}

function overflowReason(count: number): string {
  const beyond = count - MAX_ENTRIES_PER_ACCESS;
  const others = beyond === 1 ? 'this entry is' : `this entry and the ${beyond - 1} after it are`;
  return `${others} ignored: at most ${MAX_ENTRIES_PER_ACCESS} entries per access string (it has ${count})`;
}

export function parseAccessEntry(entry: string): EntryParse {
  if (entry.length > MAX_SCOPE_LENGTH) return { ok: false, reason: `longer than ${MAX_SCOPE_LENGTH} characters` };
  const parts = splitResource(entry);
  if (!parts) return { ok: false, reason: 'expected type:name:actions' };
  const type = parts.type.trim();
  const name = parts.name.trim();
  if (!TYPE.test(type)) return { ok: false, reason: 'the resource type must be lower-case letters and digits, such as repository' };
  if (name.length === 0) return { ok: false, reason: 'the resource name is empty' };
  if (!isResourceName(name)) return { ok: false, reason: 'the resource name holds a forbidden character' };
  const pattern = parseNamePattern(name);
  if (!pattern.ok) return { ok: false, reason: pattern.reason };
  const actions = splitActions(parts.actions);
  if (actions === null) return { ok: false, reason: actionsProblem(parts.actions) };
  return { ok: true, entry: { type, name, actions, entry, pattern: pattern.pattern } };
}

function actionsProblem(text: string): string {
  if (text.trim().length === 0) return 'no actions: expected a comma-separated list such as pull,push, or *';
  const bad = text.split(',').find((action) => splitActions(action) === null) ?? text;
  return `invalid action ${JSON.stringify(bad.trim())}: actions are * or lower-case words such as pull, push, delete`;
}

export interface ParsedAccess {
  readonly rules: readonly AccessRule[];
  /** Entries that could not be parsed, as written. */
  readonly invalid: readonly string[];
}

/**
 * The plain rules of an access string (the form before decisions carried
 * explanations). Entries beyond the limit show in `invalid` as one note in
 * parentheses rather than as entries, which may be perfectly good.
 */
export function parseAccess(text: string): ParsedAccess {
  const { entries, rejected } = readAccess(text);
  const rules = entries.map(({ type, name, actions }) => ({ type, name, actions }));
  const invalid = rejected.map(({ entry, position, reason }) => (position > MAX_ENTRIES_PER_ACCESS ? `(${reason})` : entry));
  return { rules, invalid };
}

/**
 * Validation before a write (the CLI): every problem, each naming its entry,
 * so an operator can fix them all at once. An empty string is valid: it grants nothing.
 */
export function checkAccess(text: string): { ok: true } | { ok: false; problems: string[] } {
  const { rejected } = readAccess(text);
  if (rejected.length === 0) return { ok: true };
  return { ok: false, problems: rejected.map(({ entry, position, reason }) => `entry ${position} ${JSON.stringify(entry)}: ${reason}`) };
}
