// The search indexer of one node: an ordered consumer that replays CATALOG from the start
// into this node's search index, then follows it. Starting it again rebuilds the index.
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { catalogStream, consumeBatches, ensureStream, type RunningConsumer } from '../../stores/events/index.ts';
import type { SearchIndex } from '../../stores/search/index.ts';
import type { CatalogEvent, CatalogProduct } from './product.ts';

export async function startIndexer(deps: { nc: NatsConnection; cluster: string; index: SearchIndex; log: Logger; rebuild?: boolean }): Promise<RunningConsumer> {
  const stream = catalogStream(deps.cluster);
  const jsm = await deps.nc.jetstreamManager();
  await ensureStream(jsm, stream);
  if (deps.rebuild !== false) await deps.index.clear();
  return consumeBatches({
    js: deps.nc.jetstream(), jsm, stream: stream.name, log: deps.log, maxBatch: 2000,
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
