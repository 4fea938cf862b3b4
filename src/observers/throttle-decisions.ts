/**
 * The throttle's view of token decisions: a refused password or refresh
 * token (UNAUTHORIZED) is a failed login, a token issued for a password a
 * successful one. Other refusals (bad requests, Vault unavailable, the
 * throttle's own 429) are nobody's guess and count for nothing.
 */
import type { Attempt } from '../domain/throttle.js';
import type { ServerEventMap, ServerEvents } from '../events.js';

export interface FailureRecorder {
  recordFailure(attempt: Attempt): Promise<void>;
  recordSuccess(attempt: Attempt): Promise<void>;
}

/**
 * Listens until the returned function is called. `isCiName` says whether a
 * name is a service's CI login name (`ci`): its failures count against the
 * address only, like a refresh token's. The name is public and its password
 * a signed token nobody guesses, so counting it per account would only let
 * anyone lock every CI job out by sending garbage as `ci`.
 */
export function throttleDecisions(
  events: ServerEvents,
  throttle: FailureRecorder,
  isCiName: (service: string, account: string) => boolean = () => false,
): () => void {
  const denied = (event: ServerEventMap['token.denied'][0]): void => {
    if (event.reason !== 'UNAUTHORIZED' || (event.grant !== 'password' && event.grant !== 'refresh_token')) return;
    // A refresh token's account is whatever the token claims: it counts against the address only.
    const account = event.grant === 'password' && !isCiName(event.service ?? '', event.account ?? '') ? event.account : undefined;
    void throttle.recordFailure({ client: event.client, service: event.service ?? '', account });
  };
  const granted = (event: ServerEventMap['token.granted'][0]): void => {
    if (event.grant !== 'password' || !event.account || isCiName(event.service ?? '', event.account)) return;
    void throttle.recordSuccess({ client: event.client, service: event.service ?? '', account: event.account });
  };
  events.on('token.denied', denied);
  events.on('token.granted', granted);
  return () => {
    events.off('token.denied', denied);
    events.off('token.granted', granted);
  };
}
