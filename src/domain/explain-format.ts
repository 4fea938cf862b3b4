/**
 * A Decision as lines for people (the `explain` command):
 *
 *   repository:team/app pull: granted by group devs (repository:team/**:pull,push)
 *   repository:team/app delete: denied, entries name it but none allows delete: group devs (repository:team/**:pull,push)
 *   repository:other pull: denied, no entry names this repository
 *   ignored: the user's entry "garbage": expected type:name:actions
 *   token: repository:team/app:pull
 *
 * Pure: the caller prints. Texts that come from storage and may hold anything
 * (entries that did not parse, odd group names) are quoted, so a stored
 * value cannot write control sequences to the operator's terminal.
 */
import type { Decision, EntryRef, IgnoredEntry, ScopeExplanation, SourceRef } from './grant.js';
import { formatScope } from './scope.js';

export function formatDecision(decision: Decision): string[] {
  const lines = decision.scopes.flatMap(formatScopeExplanation);
  for (const ignored of decision.ignored) lines.push(formatIgnored(ignored));
  const token = decision.granted.map(formatScope).join(' ');
  lines.push(`token: ${token.length > 0 ? token : 'nothing granted'}`);
  return lines;
}

function formatScopeExplanation(explained: ScopeExplanation): string[] {
  const resource = `${explained.scope.type}:${explained.scope.name}`;
  return explained.actions.map((action) => {
    if (action.granted) return `${resource} ${action.action}: granted by ${formatRefs(action.by)}`;
    const named = explained.matched.length > 0 ? `: ${formatRefs(explained.matched)}` : '';
    return `${resource} ${action.action}: denied, ${action.reason}${named}`;
  });
}

function formatRefs(refs: readonly EntryRef[]): string {
  return refs.map((ref) => `${formatSource(ref.source)} (${ref.entry})`).join(', ');
}

export function formatSource(source: SourceRef): string {
  if (source.kind === 'user') return 'the user';
  if (source.kind === 'login') return `the ${source.name}`;
  return `group ${quoteIfOdd(source.name)}${source.via ? ` (from the ${source.via})` : ''}`;
}

function formatIgnored(ignored: IgnoredEntry): string {
  const owner = ignored.source.kind === 'user' ? "the user's entry" : `${formatSource(ignored.source)}'s entry`;
  return `ignored: ${owner} ${JSON.stringify(ignored.entry)}: ${ignored.reason}`;
}

// Names made of these read unambiguously bare; anything else is quoted.
const PLAIN = /^[A-Za-z0-9._@+-]+$/u;

function quoteIfOdd(text: string): string {
  return PLAIN.test(text) ? text : JSON.stringify(text);
}
