/**
 * What the token flow needs, passed in once: it knows nothing of Koa or of
 * HTTP. The endpoints (src/http/endpoints/) are thin adapters around it.
 */
import type { LoginWay } from '../logins/login-way.js';
import type { PasswordVerifier } from '../passwords/verifier.js';
import type { TokenSigner } from '../tokens/signer.js';
import type { UserStore } from '../users/user-store.js';
import type { Clock } from '../util/clock.js';
import type { RefreshKeys } from './refresh-tokens.js';
import type { Attempt } from '../domain/throttle.js';

/**
 * Asked before credentials are checked (the throttling of password
 * guessing): throws THROTTLED while the attempt's client or account is
 * blocked, so that no password hash is spent on it.
 */
export interface CredentialGuard {
  check(attempt: Attempt): Promise<void>;
}

export interface FlowDeps {
  readonly issuer: string;
  readonly expirationSeconds: number;
  readonly refreshExpirationSeconds: number;
  /** service name → storage mount; null when any service may be asked for. */
  readonly services: ReadonlyMap<string, string> | null;
  /** service name → the access string of requests without credentials (from the config). */
  readonly anonymous: ReadonlyMap<string, string>;
  readonly users: UserStore;
  readonly verifier: PasswordVerifier;
  /** The ways a service checks a password, in order (`services[].logins`; `[kv]` by default). */
  readonly logins: (service: string) => readonly LoginWay[];
  readonly signer: TokenSigner;
  readonly refreshKeys: RefreshKeys;
  readonly clock: Clock;
  /** What of a user's rights could not be used: entries that do not parse, groups that do not exist. */
  readonly onAccessProblems: (problems: readonly string[], where: { service: string; account: string }) => void;
  /** A request's service has no user store; `configured` when it is in the services list. */
  readonly onUnknownMount: (mount: string, configured: boolean) => void;
  /** A refresh token was asked for a user whose password is stored in plaintext (none is issued). */
  readonly onPlaintextRefresh: (service: string, account: string) => void;
  /** The throttle, when enabled. */
  readonly guard?: CredentialGuard;
}
