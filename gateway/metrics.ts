// Prometheus metrics (prom-client): HTTP requests and latency per route and status, asks
// per entity type and outcome, and every actor node's mailbox depth and leases held.
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AskOptions, ClusterClient, NodeStats } from '../cluster/index.ts';
import type { GatewayEnv } from './env.ts';

export interface GatewayMetrics {
  registry: Registry;
  http: MiddlewareHandler<GatewayEnv>;
  /** Counts asks per entity type; returns a client that records them. */
  meter(client: ClusterClient): ClusterClient;
}

export function createMetrics(opts: { nodeStats(): Promise<NodeStats[]>; client: ClusterClient; inflight(): number }): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  const asks = new Counter({ name: 'cluster_asks_total', help: 'Asks from this gateway by entity type and outcome', labelNames: ['type', 'outcome'], registers: [registry] });
  const askLatency = new Histogram({
    name: 'cluster_ask_duration_seconds', help: 'Ask latency by entity type', labelNames: ['type'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry],
  });
  new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests in progress', registers: [registry], collect() { this.set(opts.inflight()); } });
  new Gauge({ name: 'cluster_client_asks_in_flight', help: 'Asks waiting or in flight from this process', registers: [registry], collect() { this.set(opts.client.stats().inFlight); } });
  // The three node gauges are collected in parallel; they share one stats round per scrape.
  let round: { at: number; stats: Promise<NodeStats[]> } | undefined;
  const nodeStats = () => {
    if (!round || Date.now() - round.at > 1000) round = { at: Date.now(), stats: opts.nodeStats().catch(() => [] as NodeStats[]) };
    return round.stats;
  };
  const perNode = (name: string, help: string, pick: (s: NodeStats) => number) => new Gauge({
    name, help, labelNames: ['node'], registers: [registry],
    async collect() {
      const stats = await nodeStats();
      this.reset();
      for (const s of stats) this.set({ node: s.nodeId }, pick(s));
    },
  });
  perNode('cluster_node_mailbox_depth', 'Messages queued in actor mailboxes per node', (s) => s.mailboxDepth);
  perNode('cluster_node_leases_held', 'Shard leases held per node', (s) => s.leasesHeld);
  perNode('cluster_node_actors', 'Live actors per node', (s) => s.actors);

  const http: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    const start = performance.now();
    await next();
    // The matched route's pattern (not the raw path), so ids do not explode the label set.
    const route = [...matchedRoutes(c)].reverse().find((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    requests.inc(labels);
    latency.observe(labels, (performance.now() - start) / 1000);
  };

  const meter = (client: ClusterClient): ClusterClient => {
    const metered = Object.create(client) as ClusterClient;
    metered.ask = <R>(type: string, id: string, msg: unknown, options?: AskOptions): Promise<R> => {
      const start = performance.now();
      return client.ask<R>(type, id, msg, options).then(
        (v) => { asks.inc({ type, outcome: 'ok' }); askLatency.observe({ type }, (performance.now() - start) / 1000); return v; },
        (err: unknown) => { asks.inc({ type, outcome: (err as { code?: string }).code ?? 'error' }); throw err; },
      );
    };
    metered.tell = (type, id, msg) => client.tell(type, id, msg);
    metered.stats = () => client.stats();
    return metered;
  };

  return { registry, http, meter };
}
