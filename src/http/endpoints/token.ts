/**
 * GET on the realm path: the Docker registry token endpoint.
 *
 * Pipeline: readTokenQuery → authenticateBasic → lookUpUser → grantScopes →
 * issueToken. Lacking a permission is not an error (200 with what could be
 * granted); bad credentials are a 401 that says the same for an unknown user
 * and a wrong password.
 */
import type { Middleware, Next } from 'koa';
import { parseBasicAuth, type Credentials } from '../../domain/basic-auth.js';
import { formatSource } from '../../domain/explain-format.js';
import { decide } from '../../domain/grant.js';
import { checkPathSegment, isReservedName } from '../../domain/names.js';
import type { PasswordVerifier } from '../../passwords/verifier.js';
import { parseRequestedScopes, type ResourceScope } from '../../domain/scope.js';
import { resolveService, type ServiceTarget } from '../../domain/service.js';
import { AppError, invalidRequest, invalidScope, isAppError, unauthorized, unavailable } from '../../errors.js';
import type { TokenSigner } from '../../tokens/signer.js';
import { userAccess } from '../../users/access-sources.js';
import type { UserRecord, UserStore } from '../../users/user-store.js';
import type { AppContext, RequestState } from '../context.js';

export interface TokenEndpointOptions {
  readonly issuer: string;
  readonly expirationSeconds: number;
  readonly services: ReadonlyMap<string, string> | null;
  readonly users: UserStore;
  readonly verifier: PasswordVerifier;
  readonly signer: TokenSigner;
  /** Called with what of a user's rights could not be used: entries that do not parse, groups that do not exist. */
  readonly onAccessProblems: (problems: readonly string[], where: { service: string; account: string }) => void;
  /** Called when a request's service has no user store; `configured` when it is in the services list. */
  readonly onUnknownMount: (mount: string, configured: boolean) => void;
}

interface TokenState extends RequestState {
  target?: ServiceTarget;
  scopes?: ResourceScope[];
  credentials?: Credentials;
  user?: UserRecord;
}

type TokenContext = AppContext & { state: TokenState };

export function tokenEndpoint(options: TokenEndpointOptions): Middleware<TokenState>[] {
  async function readTokenQuery(ctx: TokenContext, next: Next): Promise<void> {
    const service = single(ctx.query.service, 'service');
    const target = resolveService(service, options.services);
    ctx.state.service = target.service;
    ctx.state.target = target;

    const scopeValues = ctx.query.scope;
    const parsed = parseRequestedScopes(scopeValues === undefined ? [] : [scopeValues].flat());
    if (!parsed.ok) throw invalidScope(parsed.reason);
    ctx.state.scopes = parsed.scopes;
    await next();
  }

  async function authenticateBasic(ctx: TokenContext, next: Next): Promise<void> {
    const credentials = parseBasicAuth(ctx.get('Authorization') || undefined);
    if (!credentials) throw unauthorized('authentication required: send HTTP Basic credentials');
    const account = single(ctx.query.account, 'account');
    // `account` is only a hint from the client; it may never differ from
    // the user who authenticates (that is how Dockit let users escalate).
    if (account !== undefined && account !== '' && account !== credentials.username) {
      throw new AppError('ACCOUNT_MISMATCH', 'the account parameter does not match the authenticated user');
    }
    ctx.state.credentials = credentials;
    await next();
  }

  async function lookUpUser(ctx: TokenContext, next: Next): Promise<void> {
    const { credentials, target } = required(ctx.state);
    // A name that cannot be a storage key cannot be a user: answer as for any
    // unknown user, after the same password work.
    const { username } = credentials;
    const user = checkPathSegment(username).ok && !isReservedName(username) ? await findUser(target, username) : null;
    const verified = await options.verifier.verify({ service: target.service, account: username, stored: user?.password ?? null, given: credentials.password });
    if (!verified || !user) throw unauthorized('invalid username or password');
    ctx.state.account = credentials.username;
    ctx.state.user = user;
    await next();
  }

  /**
   * Without a services list, a service that is not a KV mount answers like a
   * wrong password (after the same password work), so an unauthenticated
   * client cannot tell mounts apart. With a list, a miss was already a 400
   * (the list is public configuration); a listed service whose mount is no
   * user store is the server's misconfiguration: 503, never a 401.
   */
  async function findUser(target: ServiceTarget, account: string): Promise<UserRecord | null> {
    try {
      return await options.users.lookup(target.mount, account);
    } catch (error) {
      if (!isAppError(error, 'UNKNOWN_SERVICE')) throw error;
      options.onUnknownMount(target.mount, options.services !== null);
      if (options.services !== null) throw unavailable(`the configured service ${target.service} has no user store at ${target.mount}`);
      return null;
    }
  }

  async function grantScopes(ctx: TokenContext, next: Next): Promise<void> {
    const { target, scopes } = required(ctx.state);
    const { user } = ctx.state;
    if (!user) throw new Error('token pipeline out of order');
    const account = ctx.state.account ?? '';
    const { sources, problems } = await userAccess(options.users, target.mount, user);
    const decision = decide(scopes, sources, account);
    const all = [
      ...problems,
      ...decision.ignored.map((ignored) => `${formatSource(ignored.source)}'s entry ${JSON.stringify(ignored.entry)} ignored: ${ignored.reason}`),
    ];
    if (all.length > 0) options.onAccessProblems(all, { service: target.service, account });
    ctx.state.granted = decision.granted;
    await next();
  }

  async function issueToken(ctx: TokenContext): Promise<void> {
    const { target } = required(ctx.state);
    const issued = await options.signer.sign({
      issuer: options.issuer,
      subject: ctx.state.account ?? '',
      audience: target.service,
      access: ctx.state.granted ?? [],
      expiresInSeconds: options.expirationSeconds,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.body = {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: new Date(issued.issuedAt * 1000).toISOString().replace('.000Z', 'Z'),
    };
  }

  return [readTokenQuery, authenticateBasic, lookUpUser, grantScopes, issueToken] as Middleware<TokenState>[];
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw invalidRequest(`the ${name} parameter must be given once`);
  return value;
}

/** The state earlier middleware of the pipeline set; their absence is a bug. */
function required(state: TokenState): Required<Pick<TokenState, 'target' | 'scopes' | 'credentials'>> {
  const { target, scopes, credentials } = state;
  if (!target || !scopes || !credentials) throw new Error('token pipeline out of order');
  return { target, scopes, credentials };
}
