/**
 * What every answer of the HTTP fuzz suite must be: a 4xx with the JSON
 * error body in the shape of its endpoint (OAuth2's for a POST of the realm,
 * Docker's for everything else), or a correct 200 — for a token, one signed
 * by our key, for the service asked, for the user whose credentials were
 * right (or for nobody, where anonymous access is configured), whose access
 * is within what was asked and within what the user may have (the oracle of
 * fuzz-world.ts). Never a 5xx, never silence.
 *
 * Each check returns the problems it found, as sentences; none is a pass.
 */
import type { KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { FuzzCase, FuzzTokens } from './fuzz-requests.js';
import { type FuzzAnswer, type FuzzResponse, type RequestFacts, requestFacts } from './fuzz-wire.js';
import { FUZZ_ANONYMOUS, FUZZ_SERVICES, mayHave, userOf } from './fuzz-world.js';

export interface CheckContext {
  readonly publicKey: KeyObject;
  readonly issuer: string;
  readonly expirationSeconds: number;
  readonly tokens: FuzzTokens;
  /** Throttling is on: a request that reaches the credential check may be refused with a 429 instead. */
  readonly throttled: boolean;
}

export const BASIC_CHALLENGE = 'Basic realm="vault-registry-auth", charset="UTF-8"';

/** Docker-shaped error codes and the one status each goes with. */
const DOCKER_STATUS: Readonly<Record<string, number>> = {
  INVALID_REQUEST: 400,
  INVALID_SCOPE: 400,
  UNKNOWN_SERVICE: 400,
  ACCOUNT_MISMATCH: 400,
  UNSUPPORTED_GRANT_TYPE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  URI_TOO_LONG: 414,
  EXPECTATION_FAILED: 417,
  TOO_MANY_REQUESTS: 429,
};

/** OAuth2 error codes and the statuses each may go with. */
const OAUTH_STATUS: Readonly<Record<string, readonly number[]>> = {
  invalid_request: [400, 414, 417],
  invalid_scope: [400],
  unsupported_grant_type: [400],
  invalid_grant: [401],
  temporarily_unavailable: [429],
};

// Parser-level answers (src/http/client-error.ts) for what cannot be routed: 400, 408 and 431, Docker's shape.
const EDGE_STATUS: Readonly<Record<number, string>> = { 400: 'INVALID_REQUEST', 408: 'INVALID_REQUEST', 431: 'INVALID_REQUEST' };

type Route = 'realm' | 'certs' | 'jwks' | 'healthz' | 'readyz' | 'metrics' | null;

/** The route of a path as @koa/router matches it here: without case, with one optional trailing slash, not decoded. */
export function routeOf(path: string): Route {
  const lower = path.toLowerCase();
  const trimmed = lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
  if (trimmed === '/auth' || trimmed === '/auth/token') return 'realm';
  const named: Readonly<Record<string, Route>> = { '/certs': 'certs', '/jwks': 'jwks', '/healthz': 'healthz', '/readyz': 'readyz', '/metrics': 'metrics' };
  return named[trimmed] ?? null;
}

export async function checkAnswer(c: FuzzCase, answer: FuzzAnswer, context: CheckContext): Promise<string[]> {
  const problems: string[] = [];
  const expected = c.heads?.length ?? 1;
  if (answer.responses.length === 0) {
    if (c.mayClose && answer.error && !answer.error.startsWith('hang')) return [];
    return [`no answer (${answer.error ?? 'closed without one'})`];
  }
  if (answer.error?.startsWith('hang')) problems.push(answer.error);
  if (answer.responses.length !== expected) problems.push(`${answer.responses.length} answers to ${expected} requests`);
  if (c.category === 'raw/pipelined') return [...problems, ...pipelined(answer.responses, context)];
  const response = answer.responses[0] as FuzzResponse;
  const facts = requestFacts(c);
  problems.push(...expectation(c, response, context));
  problems.push(...(await generic(c, facts, response, context)));
  return problems;
}

function expectation(c: FuzzCase, response: FuzzResponse, context: CheckContext): string[] {
  if (!c.expect) return [];
  const { status, code } = c.expect;
  if (context.throttled && response.status === 429 && (status === 200 || status === 401)) return [];
  if (response.status !== status) return [`expected ${status}${code ? ` ${code}` : ''}, got ${response.status} ${preview(response.body)}`];
  if (code !== undefined) {
    const body = json(response.body) as { errors?: { code?: unknown }[]; error?: unknown } | undefined;
    const got = body?.errors?.[0]?.code ?? body?.error;
    if (got !== code) return [`expected the code ${code}, got ${preview(response.body)}`];
  }
  return [];
}

async function generic(c: FuzzCase, facts: RequestFacts, response: FuzzResponse, context: CheckContext): Promise<string[]> {
  const { status } = response;
  const route = routeOf(facts.path);
  const head = facts.method === 'HEAD';
  if (status >= 500) return [`a ${status}: ${preview(response.body)}`];
  // The request id is echoed only when it looks like one: nothing a client writes reaches our headers as it is.
  const requestId = response.headers['x-request-id'];
  if (requestId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/u.test(requestId)) return [`X-Request-Id ${JSON.stringify(requestId)} answered`];
  if (head && response.body.length > 0) return [`a HEAD answered with a body: ${preview(response.body)}`];
  if (status >= 400 && status < 500) return head ? [] : errorBody(c, facts, route, response);
  if (status !== 200) return [`status ${status}`];
  if (facts.method === 'OPTIONS') {
    if (route === null) return ['OPTIONS of an unknown path answered 200'];
    return response.headers.allow ? (response.body.length === 0 ? [] : ['OPTIONS answered with a body']) : ['OPTIONS without Allow'];
  }
  if (route === 'realm' && (facts.method === 'GET' || facts.method === 'HEAD' || facts.method === 'POST')) return token(c, facts, response, context);
  if (route !== null && route !== 'realm' && (facts.method === 'GET' || facts.method === 'HEAD')) return head ? [] : endpointBody(route, response);
  return [`${facts.method} ${facts.path.slice(0, 80)} answered 200`];
}

/** A 4xx: JSON in the right shape, its code consistent with the status, the headers its status calls for. */
function errorBody(c: FuzzCase, facts: RequestFacts, route: Route, response: FuzzResponse): string[] {
  const problems: string[] = [];
  const body = json(response.body);
  if (!String(response.headers['content-type'] ?? '').startsWith('application/json')) problems.push(`content-type ${response.headers['content-type']}`);
  if (body === undefined) return [...problems, `a ${response.status} without a JSON body: ${preview(response.body)}`];
  const expectOauth = !c.expect?.edge && facts.method === 'POST' && route === 'realm';
  const keys = Object.keys(body as object).sort();
  if (expectOauth) {
    const { error, error_description: description, details } = body as Record<string, unknown>;
    if (keys.join() !== 'details,error,error_description') problems.push(`not OAuth2's shape: ${preview(response.body)}`);
    else if (typeof description !== 'string' || description === '' || details !== description) problems.push(`OAuth2 description: ${preview(response.body)}`);
    else if (!OAUTH_STATUS[String(error)]?.includes(response.status)) problems.push(`OAuth2 error ${String(error)} with status ${response.status}`);
  } else {
    const errors = (body as { errors?: unknown }).errors;
    const first = Array.isArray(errors) && errors.length === 1 ? (errors[0] as Record<string, unknown>) : undefined;
    if (keys.join() !== 'errors' || !first || Object.keys(first).sort().join() !== 'code,message') {
      problems.push(`not Docker's shape: ${preview(response.body)}`);
    } else if (typeof first.message !== 'string' || first.message === '') {
      problems.push(`Docker error without a message: ${preview(response.body)}`);
    } else if (DOCKER_STATUS[String(first.code)] !== response.status && EDGE_STATUS[response.status] !== first.code) {
      problems.push(`Docker code ${String(first.code)} with status ${response.status}`);
    }
  }
  if (response.status === 401 && response.headers['www-authenticate'] !== BASIC_CHALLENGE)
    problems.push(`401 with WWW-Authenticate ${response.headers['www-authenticate']}`);
  if (response.status === 405 && !response.headers.allow) problems.push('405 without Allow');
  if (response.status === 429 && !/^[1-9]\d*$/u.test(response.headers['retry-after'] ?? ''))
    problems.push(`429 with Retry-After ${response.headers['retry-after']}`);
  return problems;
}

function endpointBody(route: Exclude<Route, 'realm' | null>, response: FuzzResponse): string[] {
  const text = Buffer.from(response.body).toString('utf8');
  const type = response.headers['content-type'] ?? '';
  switch (route) {
    case 'certs':
      return type.startsWith('application/x-pem-file') && text.startsWith('-----BEGIN CERTIFICATE-----') ? [] : [`/certs: ${type} ${preview(response.body)}`];
    case 'jwks': {
      const keys = (json(response.body) as { keys?: unknown } | undefined)?.keys;
      return Array.isArray(keys) && keys.length > 0 ? [] : [`/jwks: ${preview(response.body)}`];
    }
    case 'healthz':
      return text === '{"status":"ok"}' ? [] : [`/healthz: ${preview(response.body)}`];
    case 'readyz':
      return (json(response.body) as { status?: unknown } | undefined)?.status === 'ready' ? [] : [`/readyz: ${preview(response.body)}`];
    default:
      return type.startsWith('text/plain') && text.includes('# HELP') ? [] : [`/metrics: ${type} ${preview(response.body)}`];
  }
}

interface Claims {
  readonly sub?: unknown;
  readonly aud?: unknown;
  readonly iss?: unknown;
  readonly exp?: unknown;
  readonly iat?: unknown;
  readonly access?: unknown;
}

/** A 200 of the realm: a token that may be given, for this request, to these credentials. */
async function token(c: FuzzCase, facts: RequestFacts, response: FuzzResponse, context: CheckContext): Promise<string[]> {
  const post = facts.method === 'POST';
  const params = new URLSearchParams(post ? facts.body.toString('utf8') : facts.query);
  const problems: string[] = [];
  const services = params.getAll('service');
  const service = services[0] ?? '';
  if (services.length !== 1 || !FUZZ_SERVICES.some((s) => s.name === service))
    problems.push(`a token for the service parameter(s) ${JSON.stringify(services)}`);

  // Who the credentials say, and whether they are right.
  const principal = post ? postPrincipal(params, service, context) : getPrincipal(facts, service, context);
  if (typeof principal === 'string') return [...problems, principal];
  if (facts.method === 'HEAD') return problems;

  const body = json(response.body) as Record<string, unknown> | undefined;
  if (!body) return [...problems, `a 200 without JSON: ${preview(response.body)}`];
  const jwt = String(post ? body.access_token : body.token);
  let claims: Claims;
  try {
    claims = (await jwtVerify(jwt, context.publicKey, { issuer: context.issuer, audience: service })).payload as Claims;
  } catch (error) {
    return [...problems, `the token does not verify: ${(error as Error).message}`];
  }
  if (claims.sub !== principal.account) problems.push(`a token for ${JSON.stringify(claims.sub)}, the credentials were ${JSON.stringify(principal.account)}'s`);
  if (Number(claims.exp) - Number(claims.iat) !== context.expirationSeconds) problems.push(`a token for ${Number(claims.exp) - Number(claims.iat)} s`);
  const accounts = params.getAll('account');
  if (!post && accounts.length === 1 && accounts[0] !== '' && (accounts[0] !== principal.account || principal.anonymous)) {
    problems.push(`account=${JSON.stringify(accounts[0])} granted to ${JSON.stringify(principal.account)}`);
  }
  problems.push(...accessWithin(claims.access, params.getAll('scope'), service, principal.account));
  if (/^(?:burst\/)?clean|^burst-/u.test(c.category)) problems.push(...exactGrant(claims.access, params.getAll('scope'), service, principal.account));

  // The body: exactly the fields of its protocol.
  const expected = post ? ['access_token', 'expires_in', 'issued_at', 'scope'] : ['access_token', 'expires_in', 'issued_at', 'token'];
  const wantsRefresh = post
    ? principal.grant === 'refresh_token' || (params.getAll('access_type').length === 1 && params.get('access_type') === 'offline' && principal.hashed)
    : params.getAll('offline_token').length === 1 && params.get('offline_token') === 'true' && !principal.anonymous && principal.hashed;
  if (wantsRefresh) expected.push('refresh_token');
  if (Object.keys(body).sort().join() !== expected.sort().join()) problems.push(`body fields ${Object.keys(body).sort().join()}, expected ${expected.join()}`);
  if (!post && body.token !== body.access_token) problems.push('token and access_token differ');
  if (body.expires_in !== context.expirationSeconds) problems.push(`expires_in ${String(body.expires_in)}`);
  if (typeof body.issued_at !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/u.test(body.issued_at)) problems.push(`issued_at ${String(body.issued_at)}`);
  if (post && Array.isArray(claims.access)) {
    const scope = (claims.access as { type: string; name: string; actions: string[] }[]).map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`).join(' ');
    if (body.scope !== scope) problems.push(`scope ${JSON.stringify(body.scope)} is not the token's ${JSON.stringify(scope)}`);
  }
  if (post && principal.grant === 'refresh_token' && body.refresh_token !== params.get('refresh_token'))
    problems.push('a refresh grant answered with another refresh token');
  return problems;
}

interface Principal {
  readonly account: string;
  readonly anonymous: boolean;
  readonly grant: 'password' | 'refresh_token' | 'anonymous';
  /** The password is stored hashed (refresh tokens are made for these only). */
  readonly hashed: boolean;
}

function getPrincipal(facts: RequestFacts, service: string, context: CheckContext): Principal | string {
  const values = facts.headers.get('authorization') ?? [];
  if (values.length > 1) return 'a token for a request with two Authorization headers';
  const header = (values[0] ?? '').trim();
  if (header === '') {
    return FUZZ_ANONYMOUS[service]
      ? { account: '', anonymous: true, grant: 'anonymous', hashed: false }
      : `an anonymous token for ${service}, which has no anonymous access`;
  }
  const match = /^basic[ \t]+(\S+)$/iu.exec(header);
  if (!match) return `a token for the Authorization ${JSON.stringify(header.slice(0, 80))}`;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return `a token for credentials without a colon: ${JSON.stringify(decoded.slice(0, 80))}`;
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  if (user === '') return refreshPrincipal(password, service, context);
  return passwordPrincipal(user, password, service);
}

function postPrincipal(params: URLSearchParams, service: string, context: CheckContext): Principal | string {
  const single = (name: string): string | undefined => (params.getAll(name).length === 1 ? (params.get(name) ?? undefined) : undefined);
  if (!single('client_id')) return 'a token without one client_id';
  const grant = single('grant_type');
  if (grant === 'password') return passwordPrincipal(single('username') ?? '', single('password') ?? '', service);
  if (grant === 'refresh_token') return refreshPrincipal(single('refresh_token') ?? '', service, context);
  return `a token for grant_type ${JSON.stringify(params.getAll('grant_type'))}`;
}

function passwordPrincipal(user: string, password: string, service: string): Principal | string {
  const known = userOf(service, user);
  if (!known || known.password !== password) return `a token for ${JSON.stringify(user.slice(0, 80))} in ${service} with a wrong password`;
  return { account: user, anonymous: false, grant: 'password', hashed: known.stored !== 'plaintext' };
}

/** A refresh token we hold, unchanged in its bytes (base64url has more than one spelling of some), for this service. */
function refreshPrincipal(token: string, service: string, context: CheckContext): Principal | string {
  const bytesOf = (text: string): string =>
    text
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('hex'))
      .join('.');
  const known = context.tokens.refresh.find((r) => bytesOf(r.token) === bytesOf(token));
  if (!known) return `a token for a refresh token that is not one we hold: ${JSON.stringify(token.slice(0, 60))}`;
  if (known.service !== service) return `${known.service}'s refresh token accepted for ${service}`;
  const user = userOf(service, known.account);
  return { account: known.account, anonymous: false, grant: 'refresh_token', hashed: user?.stored !== 'plaintext' };
}

interface Scope {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** Requested scopes by resource: type (its class dropped) and name → every action asked. */
function requested(values: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const text of values.flatMap((v) => v.split(' ')).filter((t) => t !== '')) {
    const first = text.indexOf(':');
    const last = text.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    const key = `${text.slice(0, first).replace(/\(.*\)$/u, '')}\u0000${text.slice(first + 1, last)}`;
    const actions = out.get(key) ?? new Set<string>();
    for (const action of text.slice(last + 1).split(',')) actions.add(action.trim());
    out.set(key, actions);
  }
  return out;
}

function accessWithin(access: unknown, scopes: readonly string[], service: string, account: string): string[] {
  if (!Array.isArray(access)) return [`access is not a list: ${JSON.stringify(access)}`];
  const asked = requested(scopes);
  const problems: string[] = [];
  for (const scope of access as Scope[]) {
    const wanted = asked.get(`${scope.type}\u0000${scope.name}`);
    if (!wanted) {
      problems.push(`granted ${scope.type}:${scope.name}, never asked`);
      continue;
    }
    if (scope.actions.length === 0) problems.push(`granted ${scope.type}:${scope.name} with no action`);
    for (const action of scope.actions) {
      if (!wanted.has(action)) problems.push(`granted ${action} on ${scope.type}:${scope.name}, not asked`);
      if (!mayHave(service, account, scope.type, scope.name, action))
        problems.push(`granted ${action} on ${scope.type}:${scope.name} to ${JSON.stringify(account)} in ${service}`);
    }
  }
  return problems;
}

/** For the requests of a real client: exactly requested ∩ allowed, in the order asked. */
function exactGrant(access: unknown, scopes: readonly string[], service: string, account: string): string[] {
  const expected: Scope[] = [];
  for (const [key, actions] of requested(scopes)) {
    const [type = '', name = ''] = key.split('\u0000');
    const allowed = [...actions].filter((action) => mayHave(service, account, type, name, action));
    if (allowed.length > 0) expected.push({ type, name, actions: allowed });
  }
  return JSON.stringify(access) === JSON.stringify(expected) ? [] : [`granted ${JSON.stringify(access)}, expected ${JSON.stringify(expected)}`];
}

/** The pipelined case: a token, a HEAD of /healthz, a 404, in this order. */
function pipelined(responses: readonly FuzzResponse[], context: CheckContext): string[] {
  const statuses = responses.map((r) => r.status).join();
  const throttled = context.throttled && statuses === '429,200,404';
  if (statuses !== '200,200,404' && !throttled) return [`pipelined answers ${statuses}, expected 200,200,404`];
  if ((responses[1] as FuzzResponse).body.length !== 0) return ['the pipelined HEAD has a body'];
  const last = json((responses[2] as FuzzResponse).body) as { errors?: { code?: string }[] } | undefined;
  return last?.errors?.[0]?.code === 'NOT_FOUND' ? [] : [`the pipelined 404: ${preview((responses[2] as FuzzResponse).body)}`];
}

function json(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function preview(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8');
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
