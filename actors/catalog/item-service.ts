// The item service, a cluster singleton: consumes CATALOG with a durable consumer and
// stores each product as a document (the catalog's source of products). It also keeps the
// relational `products` table in sync, because the cart and checkout read prices from
// MariaDB (ProductRepository.get) next to the orders they write. A product seen for the
// first time gets its stock standing (out of stock, low) from MariaDB.
import type { JetStreamManager, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import type { DocumentStore } from '../../stores/documents/index.ts';
import { catalogStream, consumeBatches, ensureStream, type StreamNames } from '../../stores/events/index.ts';
import type { Pool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { asyncSingleton } from './jobs.ts';
import type { OutOfStockSet } from './out-of-stock.ts';
import type { CatalogEvent, CatalogProduct } from './product.ts';

export const productsCollection = 'products';

export interface ItemServiceDeps {
  nc: NatsConnection;
  cluster: string;
  documents: DocumentStore;
  pool: Pool;
  oos: OutOfStockSet;
  log: Logger;
  /** Told after products were stored or removed (to invalidate caches elsewhere). */
  onProductsChanged?(skus: string[]): void;
}

/** Applies one batch of CATALOG events (exported for tests and rebuild tools). */
export async function applyCatalogEvents(deps: Omit<ItemServiceDeps, 'nc' | 'cluster' | 'log'>, events: CatalogEvent[]): Promise<void> {
  // Last event per SKU wins, as it would one by one.
  const latest = new Map<string, CatalogEvent>();
  for (const e of events) latest.set(e.kind === 'product' ? e.product.sku : e.sku, e);
  const upserts = [...latest.values()].flatMap((e) => (e.kind === 'product' ? [e.product] : []));
  const removals = [...latest.values()].flatMap((e) => (e.kind === 'removed' ? [e.sku] : []));
  const existing = await deps.documents.getMany<CatalogProduct & Record<string, unknown>>(productsCollection, upserts.map((p) => p.sku));
  const docs = upserts.map((p) => ({ ...p, createdAt: existing.get(p.sku)?.createdAt ?? p.createdAt }));
  await deps.documents.putMany(productsCollection, docs.map((d) => ({ id: d.sku, doc: { ...d } })));
  const products = new ProductRepository(deps.pool);
  await products.upsertMany(docs.map((d) => ({
    sku: d.sku, title: d.title, brand: d.brand, category: d.category, price: d.price, currency: d.currency, attributes: d.attributes, supplierId: d.supplierId,
  })));
  for (const sku of removals) await deps.documents.delete(productsCollection, sku);
  // The one writer of listings and removals, in the stream's order (the DELETE route waits
  // for this mark before it answers, and writes none itself).
  await products.markRemoved(removals, Date.now());
  // Every process's product cache (cart prices, checkout) forgets these SKUs at once.
  const changed = [...latest.keys()];
  if (changed.length > 0) deps.onProductsChanged?.(changed);
  const fresh = docs.filter((d) => !existing.has(d.sku)).map((d) => d.sku);
  if (fresh.length > 0) await seedStockLevels(deps, fresh);
}

/**
 * New SKUs get their stock standing (out of stock, low, in stock) from MariaDB as of its
 * inventory version, applied newest-wins as the projection applies events: stock loaded as
 * rows (the demo, a bulk import) produced no event, and a level that moves less than the
 * event threshold produces none either, so a SKU loaded with 5 units showed `in_stock` in
 * search while its page said `low`. A SKU without a row is out of stock at no version, so
 * any event of its stock, before or after, decides over it.
 */
async function seedStockLevels(deps: Pick<ItemServiceDeps, 'pool' | 'oos'>, skus: string[]): Promise<void> {
  const [rows] = await deps.pool.query('SELECT sku, on_hand - reserved AS available, version FROM inventory WHERE sku IN (?)', [skus]);
  const stored = new Map((rows as { sku: string; available: number | string; version: number | string }[]).map((r) => [r.sku, r]));
  await deps.oos.apply(skus.map((sku) => {
    const r = stored.get(sku);
    return r ? { sku, available: Number(r.available), version: Number(r.version) } : { sku, available: 0, version: -1 };
  }));
}

/** How often the item service looks whether CATALOG was made again (a stream info; products are counted only then). */
export const catalogCheckIntervalMs = 10_000;

/**
 * CATALOG is the feed every node's search index replays at start, and the item service has
 * stored each product it carried in the document store. A stream that lost its storage
 * (NATS started again on an empty store, the server of an R1 stream lost) comes back
 * empty: search and listings were then empty on every node started afterwards, for good,
 * while every product was still in MariaDB (a fault audit).
 *
 * Every stored product, removed ones included, has its subject on CATALOG (one message
 * each, the latest), so fewer subjects than stored products means some were lost; then
 * each stored product is published again. Counted rather than "is the stream empty": one
 * product posted to the new stream before the check, or a pass cut short (a publish timed
 * out, the singleton moved), left the rest out for good. Each publish expects its subject
 * to be empty, so a product posted or removed meanwhile is never overwritten by the stored
 * copy, and a second pass only fills what the first missed. Returns how many were published.
 */
export async function republishLostProducts(deps: Pick<ItemServiceDeps, 'nc' | 'documents' | 'log'>, jsm: JetStreamManager, stream: StreamNames): Promise<number> {
  const state = (await jsm.streams.info(stream.name)).state;
  const subjects = state.num_subjects ?? state.messages;
  const stored = await deps.documents.count(productsCollection);
  if (subjects >= stored) return 0;
  const js = deps.nc.jetstream();
  const encoder = new TextEncoder();
  let published = 0;
  let after: string | undefined;
  try {
    for (;;) {
      const page = await deps.documents.scan<CatalogProduct & Record<string, unknown>>(productsCollection, { ...(after !== undefined ? { after } : {}), limit: 1000 });
      if (page.length === 0) break;
      await Promise.all(page.map(async ({ doc }) => {
        const event: CatalogEvent = { kind: 'product', product: doc };
        try {
          await js.publish(stream.subject('product', doc.sku), encoder.encode(JSON.stringify(event)), { expect: { lastSubjectSequence: 0 } });
          published++;
        } catch (err) {
          // 10071 "wrong last sequence": the subject has a newer event; it stands.
          if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== 10071 && !/wrong last sequence/i.test(String(err))) throw err;
        }
      }));
      after = page[page.length - 1]!.id;
    }
  } catch (err) {
    deps.log.warn({ stream: stream.name, subjects, stored, published, err: String(err) }, 'CATALOG had lost products; published some of them again, the next check goes on');
    throw err;
  }
  deps.log.warn({ stream: stream.name, subjects, stored, published }, 'CATALOG had lost products; published the stored products again');
  return published;
}

export function itemService(deps: ItemServiceDeps): Singleton {
  return asyncSingleton('catalog-item-service', deps.log, async () => {
    const stream = catalogStream(deps.cluster);
    const jsm = await deps.nc.jetstreamManager();
    await ensureStream(jsm, stream);
    // Products are counted (a COUNT over the store) at start, when the stream was made again
    // since the last look (its creation time moved), and after a pass that did not finish;
    // otherwise each check is one stream info.
    let streamCreated = (await jsm.streams.info(stream.name)).created;
    await republishLostProducts(deps, jsm, stream);
    let unfinished = false;
    const consumer = await consumeBatches({
      js: deps.nc.jetstream(), jsm, stream: stream.name, durable: 'catalog-items', log: deps.log, maxBatch: 1000,
      handle: (batch) => applyCatalogEvents(deps, batch.map((m) => m.json<CatalogEvent>())),
    });
    // The stream can also be lost while this runs (the ensureStream of any process makes it again, empty).
    let checking = false;
    const check = async () => {
      const created = (await jsm.streams.info(stream.name)).created;
      if (created === streamCreated && !unfinished) return;
      unfinished = true;
      await republishLostProducts(deps, jsm, stream);
      streamCreated = created;
      unfinished = false;
    };
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      check()
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'could not check CATALOG for lost products; next check retries'))
        .finally(() => { checking = false; });
    }, catalogCheckIntervalMs);
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await consumer.stop();
      },
    };
  });
}
