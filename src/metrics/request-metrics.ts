import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { Metrics } from './metrics';

/** The route label of a request that matched no route: never its path, which may hold anything. */
const UNMATCHED_ROUTE = 'unmatched';

type Observe = (seconds: number) => void;
type Increment = () => void;

/** What one route records per status, bound once: a response costs two map lookups and an `observe`. */
interface RouteRecorders {
  latency: Map<number, Observe>;
  outcomes: Map<number, Increment> | undefined;
  method: string;
  route: string;
}

/**
 * Times every response by method, route pattern (`/v1/customers/:customer_id/connections`, never a
 * concrete path) and status, in a fastify `onResponse` hook; and counts the outcomes of the routes a
 * feature names (`countOutcomes`), such as the credential fetch.
 */
@Injectable()
export class RequestMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly routes = new Map<string, RouteRecorders>();
  private readonly outcomeCounters = new Map<string, Counter<'outcome'>>();

  constructor(private readonly metrics: Metrics) {
    this.duration = metrics.histogram('http_request_duration_seconds', 'HTTP requests by method, route pattern and status', ['method', 'route', 'status']);
  }

  /** Starts timing the requests of `fastify`; nothing when metrics are off. */
  attach(fastify: FastifyInstance): void {
    if (!this.metrics.enabled) return;
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      this.record(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  /** Counts the answers of `method route` in `name{outcome="<status>"}`. */
  countOutcomes(method: string, route: string, name: string, help: string): void {
    this.outcomeCounters.set(`${method} ${route}`, this.metrics.counter(name, help, ['outcome']));
  }

  private record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let recorders = this.routes.get(key);
    if (recorders === undefined) {
      recorders = { latency: new Map(), outcomes: this.outcomeCounters.has(key) ? new Map() : undefined, method, route };
      this.routes.set(key, recorders);
    }
    let observe = recorders.latency.get(status);
    if (observe === undefined) {
      const child = this.duration.labels({ method, route, status: String(status) });
      observe = (value) => child.observe(value);
      recorders.latency.set(status, observe);
    }
    observe(seconds);
    if (recorders.outcomes !== undefined) {
      let increment = recorders.outcomes.get(status);
      if (increment === undefined) {
        const child = this.outcomeCounters.get(key)!.labels({ outcome: String(status) });
        increment = () => child.inc();
        recorders.outcomes.set(status, increment);
      }
      increment();
    }
  }
}
