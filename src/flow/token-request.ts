/**
 * The parameters of a token request, read the same way from a GET's query
 * and a POST's form: `service`, `scope` (repeated, or several in one value
 * separated by spaces), `account`, and whether a refresh token is wanted
 * (`offline_token=true` on GET, `access_type=offline` on POST).
 */
import { parseRequestedScopes, type ResourceScope } from '../domain/scope.js';
import { resolveService, type ServiceTarget } from '../domain/service.js';
import { invalidRequest, invalidScope } from '../errors.js';

/** All values of a parameter, in order (none: an empty list). */
export type Parameters = (name: string) => readonly string[];

export interface TokenRequest {
  readonly target: ServiceTarget;
  readonly scopes: ResourceScope[];
  /** The `account` hint, when given and not empty. */
  readonly account: string | undefined;
}

export function readTokenRequest(get: Parameters, services: ReadonlyMap<string, string> | null): TokenRequest {
  const target = resolveService(single(get, 'service'), services);
  const parsed = parseRequestedScopes(get('scope'));
  if (!parsed.ok) throw invalidScope(parsed.reason);
  const account = single(get, 'account');
  return { target, scopes: parsed.scopes, account: account === '' ? undefined : account };
}

/** The one value of a parameter that may be given once; undefined when absent. */
export function single(get: Parameters, name: string): string | undefined {
  const values = get(name);
  if (values.length > 1) throw invalidRequest(`the ${name} parameter must be given once`);
  return values[0];
}
