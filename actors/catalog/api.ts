// What the gateway uses of the catalog: searches and the category tree from the nodes'
// search service, product documents with live stock and delivery, and onboarding (publish
// to CATALOG; the item service and indexers take it from there).
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { UnavailableError, type ClusterClient } from '../../cluster/index.ts';
import type { DocumentStore } from '../../stores/documents/index.ts';
import type { Suggestion } from '../../stores/search/index.ts';
import { catalogStream, ensureStream } from '../../stores/events/index.ts';
import type { Warehouse, LogisticsRepository } from '../../stores/mysql/logistics.ts';
import type { ProductRepository } from '../../stores/mysql/products.ts';
import { InventoryApi, type StockStatus } from '../inventory/index.ts';
import { etaOf, type DeliveryEstimates, type Eta } from '../logistics/index.ts';
import type { CategoryNode } from './categories.ts';
import { productsCollection } from './item-service.ts';
import type { OutOfStockSet } from './out-of-stock.ts';
import { announceProductChanges } from './product-changes.ts';
import type { CatalogEvent, CatalogProduct, ProductInput } from './product.ts';
import { callService, serviceSubject } from './rpc.ts';
import type { SearchPage, SearchRequest } from './search-service.ts';

export interface ProductView extends CatalogProduct {
  stock: { status: StockStatus };
  delivery?: Eta;
}

export interface CatalogApiDeps {
  nc: NatsConnection;
  cluster: string;
  client: ClusterClient;
  documents: DocumentStore;
  oos: OutOfStockSet;
  estimates: DeliveryEstimates;
  logistics: LogisticsRepository;
  /** The products table the cart and checkout price from (and this process's cache of it). */
  products: ProductRepository;
  log: Logger;
}

export class CatalogApi {
  private readonly inventory: InventoryApi;
  private readonly encoder = new TextEncoder();
  private streamReady: Promise<void> | undefined;

  constructor(private readonly deps: CatalogApiDeps) {
    this.inventory = new InventoryApi(deps.client);
  }

  search(req: SearchRequest): Promise<SearchPage> {
    // Its id names the search event, so a search asked again (callService) is counted once.
    return callService(this.deps.nc, serviceSubject(this.deps.cluster, 'catalog', 'search'), { ...req, searchId: req.searchId ?? randomUUID() }, 5000, { read: true });
  }

  suggest(q: string, limit: number): Promise<Suggestion[]> {
    return callService(this.deps.nc, serviceSubject(this.deps.cluster, 'catalog', 'suggest'), { q, limit }, 2000, { read: true });
  }

  categories(): Promise<CategoryNode[]> {
    return callService(this.deps.nc, serviceSubject(this.deps.cluster, 'catalog', 'categories'), {}, 5000, { read: true });
  }

  /** A product document with live stock status (from its inventory entity; the out-of-stock set if that is slow) and delivery to `cluster`. */
  async product(sku: string, cluster: string | undefined): Promise<ProductView | undefined> {
    const doc = await this.deps.documents.get<CatalogProduct & Record<string, unknown>>(productsCollection, sku);
    if (!doc) return undefined;
    const [status, days] = await Promise.all([
      this.inventory.get(sku, { deadlineMs: 1000 }).then((v) => v.status, async () => ((await this.deps.oos.has(sku)) ? 'out_of_stock' as const : 'in_stock' as const)),
      cluster ? this.deps.estimates.days(cluster, [sku]).then((d) => d[0]) : Promise.resolve(undefined),
    ]);
    return { ...doc, stock: { status }, ...(days !== undefined && status !== 'out_of_stock' ? { delivery: etaOf(days) } : {}) };
  }

  /** Publishes products to CATALOG; resolves once JetStream has stored every one. */
  async onboard(products: ProductInput[]): Promise<void> {
    const stream = catalogStream(this.deps.cluster);
    await this.catalogStreamReady(stream);
    const js = this.deps.nc.jetstream();
    const at = Date.now();
    await Promise.all(products.map((p) => {
      const event: CatalogEvent = { kind: 'product', product: { ...p, createdAt: at, updatedAt: at } };
      return js.publish(stream.subject('product', p.sku), this.encoder.encode(JSON.stringify(event)));
    }));
  }

  /**
   * Takes a product off sale: a `removed` event on CATALOG, which the item service and
   * indexers apply (search, categories, homepage). False: no such product.
   *
   * Checkout must refuse it from the answer on, not from whenever the item service gets to
   * the event: this waits until the item service, the one writer of listings and removals
   * (in the stream's order), has marked the row, then tells every process's product cache
   * to forget it. The flush returns once NATS has taken that announcement, so it reaches
   * every node ahead of any ask sent after the answer (one server, in order). Marking the
   * row here instead raced the item service, which could then write an earlier listing over
   * the mark and put the product back on sale. Not applied within `applyWithinMs` (the item
   * service moving between nodes): 503 unavailable; the event stands and applies, and the
   * same DELETE again confirms it.
   */
  async remove(sku: string, applyWithinMs = 5000): Promise<boolean> {
    const doc = await this.deps.documents.get(productsCollection, sku);
    if (!doc) return false;
    const stream = catalogStream(this.deps.cluster);
    await this.catalogStreamReady(stream);
    const event: CatalogEvent = { kind: 'removed', sku, at: Date.now() };
    await this.deps.nc.jetstream().publish(stream.subject('product', sku), this.encoder.encode(JSON.stringify(event)));
    const until = Date.now() + applyWithinMs;
    while (!(await this.deps.products.isRemoved(sku))) {
      if (Date.now() >= until) throw new UnavailableError(`the removal of ${sku} is recorded but not applied yet; retry to confirm`);
      await new Promise((r) => setTimeout(r, 25));
    }
    this.deps.products.invalidate([sku]);
    announceProductChanges(this.deps.nc, this.deps.cluster, [sku]);
    await this.deps.nc.flush();
    return true;
  }

  /** Makes sure CATALOG exists, once; a failed attempt (NATS away) is forgotten so the next call tries again. */
  private catalogStreamReady(stream: ReturnType<typeof catalogStream>): Promise<void> {
    this.streamReady ??= this.deps.nc.jetstreamManager().then((jsm) => ensureStream(jsm, stream)).catch((err: unknown) => {
      this.streamReady = undefined;
      throw err;
    });
    return this.streamReady;
  }

  warehouses(): Promise<Warehouse[]> {
    return this.deps.logistics.warehouses();
  }
}
