/**
 * Label values of the metrics, bounded: a client can send any path, method
 * or service, and every distinct label value is a new time series kept
 * forever by the server and by Prometheus. So each label is one of a fixed
 * set, and anything else is "other"; never a user name or free text.
 */

/** The paths the server answers on: realm paths, keys, probes, metrics. */
export function knownRoutes(realmPaths: readonly string[], metricsPath: string | null): ReadonlySet<string> {
  return new Set([...realmPaths, '/jwks', '/certs', '/healthz', '/readyz', ...(metricsPath ? [metricsPath] : [])]);
}

/** The route label of a request path: a known path (a trailing slash ignored), else "other". */
export function routeLabel(path: string, known: ReadonlySet<string>): string {
  if (known.has(path)) return path;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return known.has(trimmed) ? trimmed : 'other';
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** The method label: a standard method, else "other" (Node accepts made-up methods). */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** "2xx", "4xx"…; anything outside 100-599 is "other". */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * The service label: a configured service as it is, anything else "other".
 * Without a services list any name reaches a store lookup, so none can be a
 * label: "other" for every one.
 */
export function serviceLabel(service: string | undefined, services: ReadonlyMap<string, string> | null): string {
  if (service === undefined || service === '') return 'none';
  return services?.has(service) ? service : 'other';
}

/** The grant label of a token decision: how it authenticated, "none" when the request ended before that was known. */
export function grantLabel(grant: string | undefined): string {
  return grant === 'password' || grant === 'refresh_token' || grant === 'anonymous' ? grant : 'none';
}

/**
 * Whether a token holds less than was asked: fewer actions granted than
 * requested, over all scopes (`type:name:actions`; a name may hold ":").
 */
export function isPartial(requested: readonly string[], granted: readonly string[]): boolean {
  return countActions(granted) < countActions(requested);
}

function countActions(scopes: readonly string[]): number {
  let count = 0;
  for (const scope of scopes) {
    const actions = scope.slice(scope.lastIndexOf(':') + 1);
    count += actions.split(',').filter((action) => action !== '').length;
  }
  return count;
}
