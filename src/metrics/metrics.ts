import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config';

/** Seconds, from a fast answer served from memory to the 10 s after which a request is a 503 anyway. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus metrics, served by `GET /metrics`. A feature adds its own in one line, in
 * the provider that records it:
 *   `private readonly deliveries = this.metrics.counter('hydracore_webhook_deliveries_total', 'Webhook deliveries by outcome', ['outcome']);`
 * Label values are bounded sets (a status, an outcome, a route pattern), never an id: each distinct
 * value is a series kept for the life of the process.
 *
 * With `METRICS_ENABLED=false` nothing is exposed, no process metrics are sampled and requests are
 * not timed; the counters still exist, so the code that counts needs no condition.
 */
@Injectable()
export class Metrics {
  readonly enabled: boolean;
  /** One registry per application (not prom-client's global one), so that two in a process do not collide. */
  private readonly registry = new Registry();

  constructor(config: AppConfig) {
    this.enabled = config.metricsEnabled;
    // The process's CPU, memory, handles, GC and event-loop lag (`nodejs_eventloop_lag_*`).
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  counter<Label extends string = never>(name: string, help: string, labelNames: readonly Label[] = []): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<Label extends string = never>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
    buckets: number[] = LATENCY_BUCKETS,
  ): Histogram<Label> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge read when scraped: `read` sets its values then (`gauge.set(...)`), costing nothing between scrapes. */
  gauge<Label extends string = never>(name: string, help: string, labelNames: readonly Label[], read: (gauge: Gauge<Label>) => void): Gauge<Label> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        read(this);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
