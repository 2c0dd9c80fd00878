/**
 * The server's Prometheus metrics (prom-client), in a registry of its own so that two servers in
 * one process (tests, the benchmark) do not share series. Names follow Prometheus's conventions
 * (base units, `_total` counters); the Grafana dashboard in deploy/grafana/ reads exactly these.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelMetadata } from './source.js';

export const METRIC_PREFIX = 'ns3ts_serve_';

/** Latency buckets (seconds): dense below 10 ms, where an allocation should be. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const CORRECTION_BUCKETS = [1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1];
const ITERATION_BUCKETS = [1, 2, 3, 5, 10, 20, 50, 100];

type PromClient = typeof import('prom-client');

/**
 * The metrics of one server. prom-client is loaded when a server starts (createServeMetrics), not
 * when the CLI starts: every other command would pay for it otherwise.
 */
export async function createServeMetrics(processMetrics = true): Promise<ServeMetrics> {
  return new ServeMetrics(await import('prom-client'), processMetrics);
}

export class ServeMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method' | 'status'>;
  readonly allocations: Counter;
  readonly guardCorrections: Counter;
  readonly guardCorrection: Histogram;
  readonly admmIterations: Histogram;
  readonly modelInfo: Gauge<'version' | 'agent' | 'kind' | 'hash'>;
  readonly reloads: Counter<'result'>;

  constructor(prom: PromClient, processMetrics = true) {
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = prom;
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({
      name: `${METRIC_PREFIX}requests_total`,
      help: 'HTTP requests answered, by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: `${METRIC_PREFIX}request_duration_seconds`,
      help: 'Time from request received to response sent, by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.allocations = new Counter({ name: `${METRIC_PREFIX}allocations_total`, help: 'Cell allocations served', registers });
    this.guardCorrections = new Counter({
      name: `${METRIC_PREFIX}guard_corrections_total`,
      help: 'Cell allocations whose raw actor output the guard (ADMM + exact projection) had to move',
      registers,
    });
    this.guardCorrection = new Histogram({
      name: `${METRIC_PREFIX}guard_correction`,
      help: 'Per cell, max over slices of |served share - raw actor output|',
      buckets: CORRECTION_BUCKETS,
      registers,
    });
    this.admmIterations = new Histogram({
      name: `${METRIC_PREFIX}admm_iterations`,
      help: 'ADMM iterations of the guard, per cell',
      buckets: ITERATION_BUCKETS,
      registers,
    });
    this.modelInfo = new Gauge({
      name: `${METRIC_PREFIX}model_info`,
      help: 'The served model (value 1): version, agent, source kind and file hash',
      labelNames: ['version', 'agent', 'kind', 'hash'],
      registers,
    });
    this.reloads = new Counter({ name: `${METRIC_PREFIX}reloads_total`, help: 'Model reloads, by result', labelNames: ['result'], registers });
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  setModel(metadata: ModelMetadata): void {
    this.modelInfo.reset();
    this.modelInfo.set({ version: metadata.version, agent: metadata.agent, kind: metadata.kind, hash: metadata.hash }, 1);
  }
}
