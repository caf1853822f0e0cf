// The item service, a cluster singleton: consumes CATALOG with a durable consumer and
// stores each product as a document (the catalog's source of products). It also keeps the
// relational `products` table in sync, because the cart and checkout read prices from
// MariaDB (ProductRepository.get) next to the orders they write. A product seen for the
// first time with no units in MariaDB joins the out-of-stock set.
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import type { DocumentStore } from '../../stores/documents/index.ts';
import { catalogStream, consumeBatches, ensureStream } from '../../stores/events/index.ts';
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
  await new ProductRepository(deps.pool).upsertMany(docs.map((d) => ({
    sku: d.sku, title: d.title, brand: d.brand, category: d.category, price: d.price, currency: d.currency, attributes: d.attributes, supplierId: d.supplierId,
  })));
  for (const sku of removals) await deps.documents.delete(productsCollection, sku);
  await new ProductRepository(deps.pool).markRemoved(removals, Date.now());
  // Every process's product cache (cart prices, checkout) forgets these SKUs at once.
  const changed = [...latest.keys()];
  if (changed.length > 0) deps.onProductsChanged?.(changed);
  const fresh = docs.filter((d) => !existing.has(d.sku)).map((d) => d.sku);
  if (fresh.length > 0) await markUnstocked(deps, fresh);
}

/**
 * New SKUs without units in MariaDB go into the out-of-stock set, and leave it again if a
 * second look finds units: stock that arrived between the two looks produced an event the
 * projection applies after our add, or our second look sees it. SKUs that had units at the
 * first look are never added, so a stocked product does not flicker out of search.
 */
async function markUnstocked(deps: Pick<ItemServiceDeps, 'pool' | 'oos'>, skus: string[]): Promise<void> {
  const stocked = async (list: string[]) => {
    const [rows] = await deps.pool.query('SELECT sku FROM inventory WHERE sku IN (?) AND on_hand > reserved', [list]);
    return new Set((rows as { sku: string }[]).map((r) => r.sku));
  };
  const first = await stocked(skus);
  const unstocked = skus.filter((s) => !first.has(s));
  if (unstocked.length === 0) return;
  await Promise.all(unstocked.map((s) => deps.oos.add(s)));
  const second = await stocked(unstocked);
  await Promise.all([...second].map((s) => deps.oos.remove(s)));
}

export function itemService(deps: ItemServiceDeps): Singleton {
  return asyncSingleton('catalog-item-service', deps.log, async () => {
    const stream = catalogStream(deps.cluster);
    const jsm = await deps.nc.jetstreamManager();
    await ensureStream(jsm, stream);
    return consumeBatches({
      js: deps.nc.jetstream(), jsm, stream: stream.name, durable: 'catalog-items', log: deps.log, maxBatch: 1000,
      handle: (batch) => applyCatalogEvents(deps, batch.map((m) => m.json<CatalogEvent>())),
    });
  });
}
