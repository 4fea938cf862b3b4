/**
 * Whether the server can do its job now, in words: for the readiness probe.
 * Ready means a token request can be answered as it should — a signing key
 * is loaded, and users can be read (the file, Vault, or, while Vault is
 * lost, the user cache within its stale window). Each check says what is
 * wrong, so that `kubectl describe` or a curl tells the operator.
 */
import type { CacheConfig } from '../config/config.js';
import type { KeySet } from '../tokens/key-set.js';
import type { Clock } from '../util/clock.js';
import type { VaultHealth } from './vault-health.js';

export interface ReadinessReport {
  readonly ready: boolean;
  /** check name → "ok", or what is wrong (or degraded) in words. */
  readonly checks: Readonly<Record<string, string>>;
}

export interface ReadinessDependencies {
  readonly keySet: KeySet;
  /** Vault's state with storage.vault; null with the file store. */
  readonly vault: VaultHealth | null;
  readonly cache: Pick<CacheConfig, 'ttlMs' | 'staleMs'>;
  readonly clock: Clock;
}

export type Readiness = () => ReadinessReport;

export function readiness({ keySet, vault, cache, clock }: ReadinessDependencies): Readiness {
  return () => {
    const keys = signingKeyCheck(keySet);
    const storage = vault ? vaultCheck(vault, cache, clock) : { ok: true, text: 'ok' };
    return { ready: keys.ok && storage.ok, checks: { signing_key: keys.text, storage: storage.text } };
  };
}

function signingKeyCheck(keySet: KeySet): { ok: boolean; text: string } {
  try {
    const active = keySet.active();
    return active?.kid ? { ok: true, text: 'ok' } : { ok: false, text: 'no active signing key' };
  } catch (error) {
    return { ok: false, text: `no active signing key: ${(error as Error).message}` };
  }
}

function vaultCheck(vault: VaultHealth, cache: Pick<CacheConfig, 'ttlMs' | 'staleMs'>, clock: Clock): { ok: boolean; text: string } {
  const state = vault.state;
  if (state.up) return { ok: true, text: 'ok' };
  const downMs = Math.max(0, clock.now() - state.since);
  const what = `${state.kind === 'login' ? 'cannot log in to Vault' : 'Vault unavailable'} for ${seconds(downMs)} s (${state.reason})`;
  if (cache.ttlMs <= 0) return { ok: false, text: `${what}; the user cache is off (cache.ttl 0), so no user can be served` };
  if (downMs >= cache.staleMs) {
    return { ok: false, text: `${what}; longer than the stale window (cache.stale ${seconds(cache.staleMs)} s): cached users are no longer served` };
  }
  return { ok: true, text: `degraded: ${what}; cached users are served for ${seconds(cache.staleMs - downMs)} s more (cache.stale)` };
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
