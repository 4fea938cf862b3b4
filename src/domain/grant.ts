/**
 * The heart of the server: granted = requested ∩ allowed.
 *
 * For each requested resource, the allowed actions are the union of every
 * rule naming that exact type and name. A rule with `*` allows every action
 * asked for, `*` itself included (that is how `registry:catalog:*` is
 * granted). Lacking a permission is not an error: the resource is left out,
 * and the registry answers the client with `insufficient_scope`.
 */
import type { AccessRule } from './access.js';
import type { ResourceScope } from './scope.js';

/** Decides whether a rule covers a requested resource. Exact match for now; globs plug in here. */
export type RuleMatcher = (rule: AccessRule, scope: ResourceScope) => boolean;

export const exactMatch: RuleMatcher = (rule, scope) => rule.type === scope.type && rule.name === scope.name;

export function grant(requested: readonly ResourceScope[], rules: readonly AccessRule[], matches: RuleMatcher = exactMatch): ResourceScope[] {
  const granted: ResourceScope[] = [];
  for (const scope of requested) {
    const allowed = new Set<string>();
    for (const rule of rules) {
      if (matches(rule, scope)) for (const action of rule.actions) allowed.add(action);
    }
    const actions = allowed.has('*') ? [...scope.actions] : scope.actions.filter((action) => allowed.has(action));
    if (actions.length > 0) granted.push({ type: scope.type, name: scope.name, actions });
  }
  return granted;
}
