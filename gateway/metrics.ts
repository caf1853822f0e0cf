// Prometheus metrics (prom-client): HTTP requests and latency per route and status, and asks
// per entity type and outcome, of this gateway only. Node gauges (mailboxes, leases) are each
// node's own, on its ops port; the process's default series come from cluster/metrics.ts.
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { attachRegistry, type AskOptions, type ClusterClient } from '../cluster/index.ts';
import type { GatewayEnv } from './env.ts';

export interface GatewayMetrics {
  registry: Registry;
  http: MiddlewareHandler<GatewayEnv>;
  /** Records one request in shop_http_requests_total and its latency (for handlers ahead of `http`). */
  observe(route: string, method: string, status: number, startedAt: number): void;
  /** Counts asks per entity type; returns a client that records them. */
  meter(client: ClusterClient): ClusterClient;
}

export function createMetrics(opts: { client: ClusterClient; inflight(): number }): GatewayMetrics {
  const registry = new Registry();
  attachRegistry(registry);
  const requests = new Counter({ name: 'shop_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'shop_http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  const asks = new Counter({ name: 'shop_asks_total', help: 'Asks from this gateway by entity type and outcome', labelNames: ['type', 'outcome'], registers: [registry] });
  const askLatency = new Histogram({
    name: 'shop_ask_duration_seconds', help: 'Ask latency by entity type', labelNames: ['type'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry],
  });
  new Gauge({ name: 'shop_http_requests_in_flight', help: 'HTTP requests in progress', registers: [registry], collect() { this.set(opts.inflight()); } });
  // Asks in flight (shop_asks_in_flight) belong to the process's client: cluster/metrics.ts.

  const requestChildren = countedAndTimed(requests, latency);
  const observe = (route: string, method: string, status: number, startedAt: number) => {
    requestChildren(`${method} ${route} ${status}`, () => {
      const labels = { method, route, status: String(status) };
      return [labels, labels];
    }, startedAt);
  };

  const http: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    const start = performance.now();
    await next();
    // The matched route's pattern (not the raw path), so ids do not explode the label set.
    const route = [...matchedRoutes(c)].reverse().find((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    observe(route, c.req.method, c.res.status, start);
  };

  const meter = (client: ClusterClient): ClusterClient => {
    const metered = Object.create(client) as ClusterClient;
    const askedOk = countedAndTimed(asks, askLatency);
    const timed = <R>(type: string, asked: Promise<R>): Promise<R> => {
      const start = performance.now();
      return asked.then(
        (v) => { askedOk(type, () => [{ type, outcome: 'ok' }, { type }], start); return v; },
        (err: unknown) => { asks.inc({ type, outcome: (err as { code?: string }).code ?? 'error' }); throw err; },
      );
    };
    // Every method that asks is wrapped: one inherited through Object.create would run with
    // `this` = metered and keep its counters on it instead of the client.
    metered.ask = <R>(type: string, id: string, msg: unknown, options?: AskOptions): Promise<R> => timed(type, client.ask<R>(type, id, msg, options));
    metered.askJson = (type: string, id: string, msg: unknown, options?: AskOptions): Promise<string> => timed(type, client.askJson(type, id, msg, options));
    metered.tell = (type, id, msg) => client.tell(type, id, msg);
    metered.stats = () => client.stats();
    return metered;
  };

  return { registry, http, observe, meter };
}

type LabelValues = Record<string, string>;

/**
 * Counts one event in `counter` and times it in `histogram`, through label children made
 * once per key: a hot path records without building label objects (`labels` runs only the
 * first time a key is seen, giving the counter's labels and the histogram's).
 */
function countedAndTimed(counter: Counter, histogram: Histogram): (key: string, labels: () => [LabelValues, LabelValues], startedAt: number) => void {
  const children = new Map<string, { count: Counter.Internal; time: Histogram.Internal<string> }>();
  return (key, labels, startedAt) => {
    let child = children.get(key);
    if (!child) {
      const [counted, timed] = labels();
      child = { count: counter.labels(counted), time: histogram.labels(timed) };
      children.set(key, child);
    }
    child.count.inc();
    child.time.observe((performance.now() - startedAt) / 1000);
  };
}
