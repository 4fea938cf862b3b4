/**
 * A circuit breaker in front of Vault. After `threshold` failures in a row
 * it opens: calls are refused at once for `cooldownMs` instead of piling up
 * behind a dead Vault. Then one call is let through as a probe (half-open):
 * its success closes the breaker, its failure opens it again.
 */
import type { Clock } from '../util/clock.js';

export interface BreakerSettings {
  readonly threshold: number;
  readonly cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export class CircuitBreaker {
  readonly #settings: BreakerSettings;
  readonly #clock: Clock;
  #failures = 0;
  #openedAt: number | null = null;
  #probing = false;

  constructor(settings: BreakerSettings, clock: Clock) {
    this.#settings = settings;
    this.#clock = clock;
  }

  get state(): BreakerState {
    if (this.#openedAt === null) return 'closed';
    return this.#probing || this.#clock.now() - this.#openedAt >= this.#settings.cooldownMs ? 'half-open' : 'open';
  }

  /** May a call go to Vault now? In half-open state only one (the probe) may. */
  admit(): Admission {
    if (this.#openedAt === null) return { allowed: true };
    const waited = this.#clock.now() - this.#openedAt;
    if (waited < this.#settings.cooldownMs) return { allowed: false, retryAfterMs: this.#settings.cooldownMs - waited };
    if (this.#probing) return { allowed: false, retryAfterMs: this.#settings.cooldownMs };
    this.#probing = true;
    return { allowed: true };
  }

  succeeded(): void {
    this.#failures = 0;
    this.#openedAt = null;
    this.#probing = false;
  }

  failed(): void {
    this.#failures += 1;
    if (this.#probing || this.#failures >= this.#settings.threshold) this.#openedAt = this.#clock.now();
    this.#probing = false;
  }
}
