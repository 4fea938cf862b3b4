/**
 * The arithmetic of the throttling of password guessing, apart from any
 * store: which counters one attempt touches, when a counter means "blocked",
 * and how long each new block lasts (doubling up to a maximum: growing
 * delays, then a temporary lockout).
 */

/** Who tries: the client's address, and the account the credentials claim (unknown for refresh tokens). */
export interface Attempt {
  readonly client: string;
  readonly service: string;
  readonly account?: string | undefined;
}

/**
 * The three counters of the login-protection pattern: consecutive failures
 * of one account from one address (`pair`), failures from one address
 * whatever the account (`client`), failures of one account from any address
 * (`account`, against guessing spread over many addresses).
 */
export type Dimension = 'pair' | 'client' | 'account';

export const DIMENSIONS: readonly Dimension[] = ['pair', 'client', 'account'];

/** The key of each counter an attempt touches; a counter that needs the account is left out when it is unknown. */
export function throttleKeys(attempt: Attempt): Partial<Record<Dimension, string>> {
  // NUL cannot occur in an address, a service or an account (they are plain path segments).
  const keys: Partial<Record<Dimension, string>> = { client: attempt.client };
  if (attempt.account !== undefined && attempt.account !== '') {
    // Case folded: a directory (LDAP through Vault) takes `MOZART` for
    // mozart, so each spelling must not get guesses of its own.
    const account = attempt.account.toLowerCase();
    keys.account = `${attempt.service}\u0000${account}`;
    keys.pair = `${attempt.client}\u0000${attempt.service}\u0000${account}`;
  }
  return keys;
}

/**
 * The length of the `lockouts`-th block (1 = the first): `baseSeconds`,
 * doubling with each new block, never more than `maxSeconds`.
 */
export function blockSeconds(lockouts: number, baseSeconds: number, maxSeconds: number): number {
  const exponent = Math.min(Math.max(lockouts, 1) - 1, 30);
  return Math.min(baseSeconds * 2 ** exponent, maxSeconds);
}

/**
 * A counter read from the store: blocked once it reached the threshold. A
 * counter that reached it but is not blocked yet (the block is being set)
 * counts as blocked too, so that no guess slips through meanwhile.
 */
export function isBlocked(counter: { consumedPoints: number; msBeforeNext: number } | null, threshold: number): boolean {
  return counter !== null && counter.consumedPoints >= threshold && counter.msBeforeNext !== 0;
}

/** Retry-After: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
