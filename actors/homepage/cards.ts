// Product cards in Redis for the per-request `for_you` block: title, price and category per
// SKU (from the CATALOG stream) and units available (from the INVENTORY stream), so a
// personal block costs Redis reads only. Both are durable consumers: rebuildable by replay.
import type { NatsConnection } from 'nats';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { catalogStream, consumeBatches, ensureStream, inventoryStream, type RunningConsumer } from '../../stores/events/index.ts';
import type { CatalogEvent } from '../catalog/index.ts';
import { stockStatus, type StockStatus } from '../inventory/index.ts';
import type { HomepageKeys } from './keys.ts';

export interface Card { sku: string; title: string; price: number; currency: string; category: string; stock: StockStatus }

export class ProductCards {
  constructor(private readonly redis: Redis, private readonly keys: HomepageKeys, private readonly oosKey: string) {}

  /** Cards of the SKUs that exist, in the given order, in one round trip. */
  async get(skus: string[]): Promise<Card[]> {
    if (skus.length === 0) return [];
    const [cards, available, oos] = await Promise.all([
      this.redis.hmget(this.keys.cards, ...skus),
      this.redis.hmget(this.keys.available, ...skus),
      this.redis.smismember(this.oosKey, ...skus),
    ]);
    const out: Card[] = [];
    skus.forEach((sku, i) => {
      const raw = cards[i];
      if (!raw) return;
      const c = JSON.parse(raw) as Omit<Card, 'sku' | 'stock'>;
      const units = available[i];
      const stock: StockStatus = oos[i] === 1 ? 'out_of_stock' : units != null ? stockStatus(Number(units)) : 'in_stock';
      out.push({ sku, title: c.title, price: c.price, currency: c.currency, category: c.category, stock });
    });
    return out;
  }
}

interface LevelEvent { sku?: unknown; available?: unknown }

/** Starts the two consumers that keep the cards; `onChange` hears of every applied batch. */
export async function startCardsProjection(deps: { nc: NatsConnection; cluster: string; redis: Redis; keys: HomepageKeys; log: Logger; onChange(): void }): Promise<RunningConsumer[]> {
  const jsm = await deps.nc.jetstreamManager();
  const js = deps.nc.jetstream();
  const catalog = catalogStream(deps.cluster);
  const inventory = inventoryStream(deps.cluster);
  await ensureStream(jsm, catalog);
  await ensureStream(jsm, inventory);
  // Each stream's batch becomes one Redis pipeline; the page rebuilds once per batch.
  const project = <E>(stream: string, durable: string, apply: (p: ChainableCommander, event: E) => void) => consumeBatches({
    js, jsm, stream, durable, log: deps.log, maxBatch: 1000,
    async handle(batch) {
      const p = deps.redis.pipeline();
      for (const m of batch) apply(p, m.json<E>());
      await p.exec();
      deps.onChange();
    },
  });
  const cards = await project<CatalogEvent>(catalog.name, 'homepage-cards', (p, e) => {
    if (e.kind === 'product') {
      const { sku, title, price, currency, category } = e.product;
      p.hset(deps.keys.cards, sku, JSON.stringify({ title, price, currency, category }));
    } else {
      p.hdel(deps.keys.cards, e.sku);
    }
  });
  const stock = await project<LevelEvent>(inventory.name, 'homepage-stock', (p, e) => {
    if (typeof e.sku === 'string' && typeof e.available === 'number') p.hset(deps.keys.available, e.sku, String(e.available));
  });
  return [cards, stock];
}
