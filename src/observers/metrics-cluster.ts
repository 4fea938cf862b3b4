/**
 * Metrics over worker processes: each worker counts its own requests, and
 * /metrics must show the sum. prom-client's AggregatorRegistry does the
 * summing in the primary (asking every worker over the cluster IPC channel);
 * a worker that receives a scrape asks the primary for that sum and answers
 * with it, so whichever worker the kernel picks, Prometheus sees one server.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from './metrics.js';

type MetricsRequest = { readonly type: 'vra:metrics'; readonly id: number };
type MetricsAnswer = { readonly type: 'vra:metrics-text'; readonly id: number; readonly text?: string; readonly error?: string };

// The primary's own limit is 5 s (prom-client); a little more here.
const ASK_TIMEOUT_MS = 6_000;

/** In a worker: answer the primary's requests with this registry, and ask the primary for the sum. */
export function metricsFromPrimary(registry: Registry): MetricsSource {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one adds prom-client's worker listener (it answers the primary).
  new AggregatorRegistry();
  let next = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type !== 'vra:metrics-text') return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.text !== undefined) waiting.resolve(message.text);
    else waiting.reject(new Error(message.error ?? 'no metrics from the primary'));
  });
  return {
    contentType: registry.contentType,
    render() {
      return new Promise<string>((resolve, reject) => {
        if (!process.send || !process.connected) {
          reject(new Error('not connected to the primary'));
          return;
        }
        const id = next++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the primary did not answer with the metrics in time'));
        }, ASK_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        const request: MetricsRequest = { type: 'vra:metrics', id };
        process.send(request);
      });
    },
  };
}

/** In the primary: the sum over workers, for workers that ask and for the primary's own listener. */
export function aggregateWorkers(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  const source: MetricsSource = { contentType: aggregator.contentType, render: () => aggregator.clusterMetrics() };
  cluster.on('message', (worker: Worker, message: MetricsRequest) => {
    if (message?.type !== 'vra:metrics') return;
    const reply = (answer: MetricsAnswer): void => {
      if (worker.isConnected()) worker.send(answer);
    };
    source.render().then(
      (text) => reply({ type: 'vra:metrics-text', id: message.id, text }),
      (error: unknown) => reply({ type: 'vra:metrics-text', id: message.id, error: (error as Error).message }),
    );
  });
  return source;
}
