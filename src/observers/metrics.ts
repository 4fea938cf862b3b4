/**
 * The server's Prometheus metrics: one registry per server (tests run
 * several servers in one process), filled from the server's events (token
 * decisions, Vault calls, cache lookups) and, at each scrape, from the key
 * set and Vault's state. Every label is bounded (src/domain/metric-labels.ts):
 * never a user name, a repository or free text.
 *
 * Gauges that every worker reports alike say how to combine them across
 * workers (`aggregator`): counters and histograms are summed.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { grantLabel, isPartial, knownRoutes, methodLabel, routeLabel, serviceLabel, statusClass } from '../domain/metric-labels.js';
import type { ServerEvents, VaultCall } from '../events.js';
import type { KeySet, VerificationKey } from '../tokens/key-set.js';
import type { VaultHealth } from './vault-health.js';

/** What serves the Prometheus text: this process's registry, or the primary's sum over workers. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** What one app (the first, or one built by a reload) feeds the metrics from. */
export interface MetricsSources {
  readonly config: Pick<Config, 'services' | 'http' | 'metrics'>;
  readonly events: ServerEvents;
  readonly keySet: KeySet;
  /** Vault's state, with storage.vault; null with the file store. */
  readonly vault: VaultHealth | null;
}

// Seconds: from a cached answer (sub-millisecond) to a password hash and a Vault round trip.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The registry lives as long as the listening server: a reload builds a new
 * app (new events, keys, Vault client) and attaches it here, so counters go
 * on counting. The old app's events still count its requests in flight.
 */
export class ServerMetrics implements MetricsSource {
  readonly registry = new Registry();
  readonly #issued: Counter<'service' | 'grant' | 'partial'>;
  readonly #denied: Counter<'service' | 'reason'>;
  readonly #throttled: Counter<'service'>;
  readonly #httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly #vaultDuration: Histogram<'operation'>;
  readonly #vaultErrors: Counter<'kind'>;
  readonly #cacheRequests: Counter<'result'>;
  #routes: ReadonlySet<string> = new Set();
  #keySet: KeySet | null = null;
  #vault: VaultHealth | null = null;
  #vaultUp: Gauge | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#issued = new Counter({
      name: 'vra_tokens_issued_total',
      help: 'Tokens issued, by service, grant and whether less than asked was granted',
      labelNames: ['service', 'grant', 'partial'] as const,
      registers,
    });
    this.#denied = new Counter({
      name: 'vra_tokens_denied_total',
      help: 'Token requests refused, by service and error code',
      labelNames: ['service', 'reason'] as const,
      registers,
    });
    this.#throttled = new Counter({
      name: 'vra_throttled_total',
      help: 'Token requests refused because their client or account is throttled',
      labelNames: ['service'] as const,
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'vra_http_request_duration_seconds',
      help: 'HTTP requests by route (a known path, else "other"), method and status class',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#vaultDuration = new Histogram({
      name: 'vra_vault_request_duration_seconds',
      help: 'Calls to Vault by operation, whatever their outcome',
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#vaultErrors = new Counter({
      name: 'vra_vault_errors_total',
      help: 'Vault calls without a usable answer: unreachable (network, TLS, deadline), unavailable (5xx, sealed, standby), denied (403)',
      labelNames: ['kind'] as const,
      registers,
    });
    this.#cacheRequests = new Counter({
      name: 'vra_user_cache_requests_total',
      help: 'User cache lookups: hit (fresh), miss (read from the store), stale (served past its TTL while the store is unavailable)',
      labelNames: ['result'] as const,
      registers,
    });
    // Read at each scrape: the key set may change (keys in Vault are read again, a reload).
    const current = (): readonly VerificationKey[] => this.#keySet?.verifiers() ?? [];
    new Gauge({
      name: 'vra_signing_key_info',
      help: 'The keys of /jwks and /certs: the active one (signs) and the published ones (only verify)',
      labelNames: ['kid', 'alg', 'role'] as const,
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        current().forEach((key, index) => {
          this.set({ kid: key.kid, alg: key.alg, role: index === 0 ? 'active' : 'published' }, 1);
        });
      },
    });
    new Gauge({
      name: 'vra_signing_certificate_expiry_timestamp_seconds',
      help: "When each key's certificate expires (seconds since the epoch)",
      labelNames: ['kid'] as const,
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        for (const key of current()) {
          const certificate = key.certificates[0];
          const expires = certificate ? Date.parse(certificate.validTo) : Number.NaN;
          if (Number.isFinite(expires)) this.set({ kid: key.kid }, expires / 1000);
        }
      },
    });
  }

  /** Counts what this app's events tell from now on, and reads its keys and Vault state at each scrape. */
  attach({ config, events, keySet, vault }: MetricsSources): void {
    const services = config.services;
    // The metrics path is a route of the main port only when it is served there.
    this.#routes = knownRoutes(config.http.realmPaths, config.metrics.listen ? null : config.metrics.path);
    this.#keySet = keySet;
    this.#vault = vault;
    events.on('token.granted', (decision) => {
      this.#issued.inc({
        service: serviceLabel(decision.service, services),
        grant: grantLabel(decision.grant),
        partial: String(isPartial(decision.requested, decision.granted)),
      });
    });
    events.on('token.denied', (decision) => {
      const service = serviceLabel(decision.service, services);
      this.#denied.inc({ service, reason: decision.reason });
      // The throttling adds its own code; compared as text so this holds whichever lands first.
      if ((decision.reason as string) === 'THROTTLED') this.#throttled.inc({ service });
    });
    events.on('vault.call', (call) => {
      this.#vaultDuration.observe({ operation: call.operation }, call.durationMs / 1000);
      const kind = vaultErrorKind(call);
      if (kind) this.#vaultErrors.inc({ kind });
    });
    events.on('cache.lookup', ({ result }) => this.#cacheRequests.inc({ result }));
    if (vault && !this.#vaultUp) {
      const health = (): VaultHealth | null => this.#vault;
      this.#vaultUp = new Gauge({
        name: 'vra_vault_up',
        help: 'Whether Vault answers and the server is logged in (1) or not (0); over workers, the lowest',
        registers: [this.registry],
        aggregator: 'min',
        collect() {
          const state = health()?.state;
          if (state) this.set(state.up ? 1 : 0);
        },
      });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** One HTTP request answered (the request-metrics middleware calls this, unbound). */
  readonly observeRequest = (path: string, method: string, status: number, seconds: number): void => {
    this.#httpDuration.observe({ route: routeLabel(path, this.#routes), method: methodLabel(method), status: statusClass(status) }, seconds);
  };
}

function vaultErrorKind(call: VaultCall): string | null {
  if (call.outcome === 'denied') return 'denied';
  if (call.outcome !== 'error') return null;
  return call.status === undefined ? 'unreachable' : 'unavailable';
}
