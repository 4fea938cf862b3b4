/**
 * Resource scopes, as clients request them and as the registry checks them.
 *
 *   type[(class)]:name:action[,action...]
 *
 * The name may itself hold colons (`localhost:5000/app`), so the type ends at
 * the FIRST colon and the actions start after the LAST one. The class is
 * accepted and dropped: the registry compares types without it. Names are
 * kept byte for byte; the registry never normalises them, neither do we.
 */

export interface ResourceScope {
  readonly type: string;
  readonly name: string;
  /** Distinct actions in the order first given. `*` is a literal action. */
  readonly actions: readonly string[];
}

export type ScopeParse = { ok: true; scope: ResourceScope } | { ok: false; reason: string };

export const MAX_SCOPE_LENGTH = 1024;
export const MAX_SCOPES_PER_REQUEST = 64;

const TYPE_WITH_CLASS = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/u;
const ACTION = /^(?:\*|[a-z0-9][a-z0-9_-]*)$/u;
// Anything a registry repository name can never contain: white space, control
// characters and the characters that separate scopes or query parameters.
const BAD_NAME = /[\s\u0000-\u001f\u007f-\u009f;,&?#"'\\]/u;

/** `type:name:actions` → its three texts, cut at the first and last colon; null without two colons. */
export function splitResource(text: string): { type: string; name: string; actions: string } | null {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions: text.slice(last + 1) };
}

/** A resource name as the registry could hold it: not empty, nothing that separates or escapes. */
export function isResourceName(name: string): boolean {
  return name.length > 0 && !BAD_NAME.test(name);
}

export function parseScope(text: string): ScopeParse {
  if (text.length > MAX_SCOPE_LENGTH) return { ok: false, reason: `longer than ${MAX_SCOPE_LENGTH} characters` };
  const parts = splitResource(text);
  if (!parts) return { ok: false, reason: 'expected type:name:actions' };
  const typeMatch = TYPE_WITH_CLASS.exec(parts.type);
  if (!typeMatch) return { ok: false, reason: 'the resource type must be lower-case letters and digits' };
  if (parts.name.length === 0) return { ok: false, reason: 'the resource name is empty' };
  if (!isResourceName(parts.name)) return { ok: false, reason: 'the resource name holds a forbidden character' };
  const actions = splitActions(parts.actions);
  if (actions === null) return { ok: false, reason: 'the actions must be a comma-separated list such as pull,push' };
  return { ok: true, scope: { type: typeMatch[1] as string, name: parts.name, actions } };
}

/** `pull,push` → ['pull','push']; null when empty or malformed. Duplicates are dropped. */
export function splitActions(text: string): string[] | null {
  const actions: string[] = [];
  for (const raw of text.split(',')) {
    const action = raw.trim();
    if (!ACTION.test(action)) return null;
    if (!actions.includes(action)) actions.push(action);
  }
  return actions;
}

/**
 * The scopes of one token request, from every `scope` query parameter.
 * Each value may hold several scopes separated by spaces (crane, oras and
 * the registry's own challenge join them so); empty values are allowed
 * (`docker login` sends none). Scopes on the same resource are merged.
 */
export function parseRequestedScopes(values: readonly string[]): { ok: true; scopes: ResourceScope[] } | { ok: false; reason: string } {
  const texts = values.flatMap((value) => value.split(' ')).filter((text) => text.length > 0);
  if (texts.length > MAX_SCOPES_PER_REQUEST) return { ok: false, reason: `more than ${MAX_SCOPES_PER_REQUEST} scopes` };
  const scopes: ResourceScope[] = [];
  for (const text of texts) {
    const parsed = parseScope(text);
    if (!parsed.ok) return { ok: false, reason: `invalid scope ${JSON.stringify(text)}: ${parsed.reason}` };
    mergeInto(scopes, parsed.scope);
  }
  return { ok: true, scopes };
}

function mergeInto(scopes: ResourceScope[], scope: ResourceScope): void {
  const index = scopes.findIndex((s) => s.type === scope.type && s.name === scope.name);
  const existing = scopes[index];
  if (existing === undefined) {
    scopes.push(scope);
    return;
  }
  const actions = [...existing.actions, ...scope.actions.filter((a) => !existing.actions.includes(a))];
  scopes[index] = { ...existing, actions };
}

/** `repository:team/app:pull,push`: the form used in logs and challenges. */
export function formatScope(scope: ResourceScope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}
