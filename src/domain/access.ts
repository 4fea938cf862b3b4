/**
 * Access strings: what a user may do, as stored beside the password.
 *
 *   repository:linux/app:*;repository:linux/db:pull
 *
 * Entries are separated by `;` and may be padded with spaces; a trailing `;`
 * is fine. Each entry reads like a scope (`type:name:actions`), where `*`
 * stands for every action. An entry that does not parse is returned apart,
 * so the caller can report it, and never stops the good entries from working.
 */
import { isResourceName, splitActions, splitResource } from './scope.js';

export interface AccessRule {
  readonly type: string;
  readonly name: string;
  /** Allowed actions; containing `*` means every action. */
  readonly actions: readonly string[];
}

export interface ParsedAccess {
  readonly rules: readonly AccessRule[];
  /** Entries that could not be parsed, as written. */
  readonly invalid: readonly string[];
}

const TYPE = /^[a-z0-9]+$/u;

export function parseAccess(text: string): ParsedAccess {
  const rules: AccessRule[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(';')) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const rule = parseAccessRule(entry);
    if (rule === null) invalid.push(entry);
    else rules.push(rule);
  }
  return { rules, invalid };
}

function parseAccessRule(entry: string): AccessRule | null {
  const parts = splitResource(entry);
  if (!parts) return null;
  const type = parts.type.trim();
  const name = parts.name.trim();
  if (!TYPE.test(type) || !isResourceName(name)) return null;
  const actions = splitActions(parts.actions);
  return actions === null ? null : { type, name, actions };
}
