/**
 * Vault's state as the server last saw it, built from the Vault client's
 * events (lost/back, login failed/succeeded) and the injected clock: for
 * the readiness probe and the `vra_vault_up` gauge. Nothing here calls
 * Vault: a probe must not add load to a Vault that is struggling, and the
 * server's own calls (user lookups, token renewal, key reloads) tell soon
 * enough.
 */
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';

export type VaultState =
  | { readonly up: true }
  | { readonly up: false; readonly since: number; readonly reason: string; readonly kind: 'unreachable' | 'login' };

export class VaultHealth {
  readonly #clock: Clock;
  #state: VaultState = { up: true };

  constructor(events: ServerEvents, clock: Clock) {
    this.#clock = clock;
    events.on('vault.lost', ({ reason }) => this.#down('unreachable', reason));
    events.on('vault.login_failed', ({ reason }) => this.#down('login', reason));
    events.on('vault.back', () => this.#up());
    events.on('vault.login', () => this.#up());
  }

  get state(): VaultState {
    return this.#state;
  }

  #down(kind: 'unreachable' | 'login', reason: string): void {
    // The outage began at the first sign; a later one says more (a failed
    // login after the loss), without moving its start.
    const since = this.#state.up ? this.#clock.now() : this.#state.since;
    this.#state = { up: false, since, reason, kind: this.#state.up || kind === 'login' ? kind : this.#state.kind };
  }

  #up(): void {
    this.#state = { up: true };
  }
}
