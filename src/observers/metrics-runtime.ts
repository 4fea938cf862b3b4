/**
 * The metrics of one listening server: the registry, where its text comes
 * from (this process, or the primary's sum over workers), and its own
 * listener when metrics.addr is set. It belongs to the listening server,
 * not to an app: a reload (src/reload/) builds a new app on the same server
 * and finds the same metrics here, so counters survive it and the metrics
 * address is not listened on twice.
 */
import type { Config } from '../config/config.js';
import { listenMetrics, type MetricsListener } from '../http/metrics-server.js';
import { metricsFromPrimary } from './metrics-cluster.js';
import { type MetricsSource, ServerMetrics } from './metrics.js';

export interface MetricsRuntime {
  readonly metrics: ServerMetrics;
  /** What /metrics answers with. */
  readonly source: MetricsSource;
  /** Served at metrics.path on the main port (no metrics.addr). */
  readonly onMainPort: boolean;
  /** metrics.path */
  readonly path: string;
  /** The metrics' own listener's URL, when this process listens on metrics.addr. */
  readonly url?: string;
  close(): Promise<void>;
}

const byServer = new WeakMap<object, MetricsRuntime>();

/** The metrics a reload finds on its server, if the first app made them. */
export function metricsOf(server: object | undefined): MetricsRuntime | undefined {
  return server ? byServer.get(server) : undefined;
}

export function rememberMetrics(server: object, runtime: MetricsRuntime): void {
  byServer.set(server, runtime);
}

/**
 * In a worker (`fromPrimary`) the text is the primary's sum, and the
 * primary, not the worker, listens on metrics.addr.
 */
export async function openMetrics(config: Pick<Config, 'metrics'>, fromPrimary: boolean): Promise<MetricsRuntime> {
  const metrics = new ServerMetrics();
  const source = fromPrimary ? metricsFromPrimary(metrics.registry) : metrics;
  const listen = config.metrics.listen;
  const listener: MetricsListener | null = listen && !fromPrimary ? await listenMetrics(listen, config.metrics.path, source) : null;
  return {
    metrics,
    source,
    onMainPort: listen === undefined,
    path: config.metrics.path,
    ...(listener ? { url: listener.url } : {}),
    close: async () => {
      await listener?.close();
    },
  };
}
