// The search indexer of one node: an ordered consumer that replays CATALOG from the start
// into this node's search index, then follows it. Starting it again rebuilds the index.
import type { NatsConnection } from 'nats';
import type { Singleton } from '../../cluster/index.ts';
import { asyncSingleton } from './jobs.ts';
import type { Logger } from 'pino';
import { catalogStream, consumeBatches, ensureStream, type RunningConsumer } from '../../stores/events/index.ts';
import type { SearchIndex } from '../../stores/search/index.ts';
import type { CatalogEvent, CatalogProduct } from './product.ts';

export interface IndexerDeps {
  nc: NatsConnection;
  cluster: string;
  index: SearchIndex;
  log: Logger;
  /** Durable consumer name: a shared index (Elasticsearch) fed once for the cluster. */
  durable?: string;
}

export async function startIndexer(deps: IndexerDeps): Promise<RunningConsumer> {
  const stream = catalogStream(deps.cluster);
  const jsm = await deps.nc.jetstreamManager();
  await ensureStream(jsm, stream);
  // An ordered replay starts from nothing; a durable one continues where it was.
  if (!deps.durable) await deps.index.clear();
  return consumeBatches({
    js: deps.nc.jetstream(), jsm, stream: stream.name, log: deps.log, maxBatch: 2000,
    ...(deps.durable ? { durable: deps.durable } : {}),
    async handle(batch) {
      const upserts = new Map<string, CatalogProduct>();
      const removals: string[] = [];
      for (const m of batch) {
        const e = m.json<CatalogEvent>();
        if (e.kind === 'product') upserts.set(e.product.sku, e.product);
        else {
          upserts.delete(e.sku);
          removals.push(e.sku);
        }
      }
      if (removals.length > 0) await deps.index.remove(removals);
      await deps.index.upsert([...upserts.values()]);
    },
  });
}

/** The indexer of a shared index as a cluster singleton (one writer, durable progress). */
export function sharedIndexer(deps: Omit<IndexerDeps, 'durable'>): Singleton {
  return asyncSingleton('catalog-search-indexer', deps.log, () => startIndexer({ ...deps, durable: 'catalog-search' }));
}
