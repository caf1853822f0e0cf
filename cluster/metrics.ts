// This process's own Prometheus series, all named `shop_…`: one registry per process that
// the ops port and the gateway's /metrics both serve. Parts record into the instruments
// below; gauges whose value lives elsewhere (a pool, a mailbox) are read at scrape time
// from sources that register and unregister themselves.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: 'shop_' });

/** Other registries of this process (a gateway's) that a scrape includes. */
const attached = new Set<Registry>();

/** Adds a registry to what `scrape()` returns; the returned function removes it. */
export function attachRegistry(registry: Registry): () => void {
  attached.add(registry);
  return () => attached.delete(registry);
}

/** The Prometheus text of this process: its own series and every attached registry's. */
export async function scrape(): Promise<string> {
  const parts = [await processRegistry.metrics()];
  for (const r of attached) parts.push(await r.metrics());
  return parts.join('\n');
}

export const metricsContentType = processRegistry.contentType;

const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const clusterMetrics = {
  groupCommitBatch: new Histogram({
    name: 'shop_group_commit_batch_size', help: 'Answers released by one group-commit transaction',
    labelNames: ['pipeline'], buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000], registers: [processRegistry],
  }),
  groupCommitSeconds: new Histogram({
    name: 'shop_group_commit_seconds', help: 'Time from sending a group-commit transaction to its commit',
    labelNames: ['pipeline'], buckets: secondsBuckets, registers: [processRegistry],
  }),
  shardMoves: new Counter({
    name: 'shop_shard_moves_total', help: 'Shards this node took (acquired), handed off gracefully, or lost (lease expired or taken)',
    labelNames: ['kind'], registers: [processRegistry],
  }),
  survivedRejections: new Counter({
    name: 'shop_unhandled_dependency_rejections_total', help: 'Unhandled promise rejections from a dependency outage that this process logged and survived',
    registers: [processRegistry],
  }),
  leaseRenewSeconds: new Histogram({
    name: 'shop_lease_renew_seconds', help: 'Latency of one shard lease renewal (a KV update by revision)',
    buckets: secondsBuckets, registers: [processRegistry],
  }),
};

type Labels = Record<string, string>;
/** A gauge source: a number, or labelled values, read at scrape time. */
export type GaugeReading = number | [Labels, number][];
type Source = () => GaugeReading | Promise<GaugeReading>;

const sourced = new Map<string, Set<Source>>();

/** Every source's reading, summed per label set (a source that cannot answer is left out). */
async function sumOf(sources: Set<Source>): Promise<[Labels, number][]> {
  const sums = new Map<string, [Labels, number]>();
  for (const read of sources) {
    let reading: GaugeReading;
    try {
      reading = await read();
    } catch {
      continue; // a source that cannot answer (a closed pool) is left out of this scrape
    }
    const rows: [Labels, number][] = typeof reading === 'number' ? [[{}, reading]] : reading;
    for (const [labels, value] of rows) {
      const key = JSON.stringify(labels);
      const prev = sums.get(key);
      sums.set(key, [labels, (prev?.[1] ?? 0) + value]);
    }
  }
  return [...sums.values()];
}

/**
 * Adds `source` to metric `name`, creating it on first use: a gauge set to, or a counter
 * standing at, the sum of its sources per label set at each scrape.
 */
function addSource(kind: 'gauge' | 'counter', name: string, help: string, labelNames: string[], source: Source): () => void {
  const sources = sourced.get(name) ?? createSourced(kind, { name, help, labelNames });
  sources.add(source);
  return () => sources.delete(source);
}

function createSourced(kind: 'gauge' | 'counter', config: { name: string; help: string; labelNames: string[] }): Set<Source> {
  const all = new Set<Source>();
  const registered = { ...config, registers: [processRegistry] };
  if (kind === 'gauge') {
    new Gauge({ ...registered, async collect() {
      const rows = await sumOf(all);
      this.reset();
      for (const [labels, value] of rows) this.set(labels, value);
    } });
  } else {
    new Counter({ ...registered, async collect() {
      const rows = await sumOf(all);
      this.reset();
      for (const [labels, value] of rows) this.inc(labels, value);
    } });
  }
  sourced.set(config.name, all);
  return all;
}

/**
 * Registers a source for gauge `name` (created on first use). Several sources of one gauge
 * (two pools, two nodes in a test process) are summed per label set. Returns an unregister.
 */
export function gaugeSource(name: string, help: string, labelNames: string[], source: Source): () => void {
  return addSource('gauge', name, help, labelNames, source);
}

/**
 * Registers a source for counter `name`: a running total kept elsewhere (a journal's
 * statistics), read at scrape time and summed over sources like a gauge's.
 */
export function counterSource(name: string, help: string, labelNames: string[], source: Source): () => void {
  return addSource('counter', name, help, labelNames, source);
}
