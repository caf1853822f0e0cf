// The out-of-stock set: a Redis set of SKUs with nothing available, and beside it the set of
// those running low, kept by one durable consumer of INVENTORY events. Search asks them
// once per page which SKUs to drop and how the others stand (`stock.status` of each item).
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { consumeBatches, ensureStream, inventoryStream } from '../../stores/events/index.ts';
import { asyncSingleton } from './jobs.ts';
import { lowStockThreshold, type StockStatus } from '../inventory/index.ts';
import { levelArgs, levelOf, newestLevelScript, type LevelEvent, type StockLevel } from '../inventory/level-script.ts';

/**
 * Levels newest-wins (newestLevelScript; KEYS[2] the versions). Nothing available: in the
 * out-of-stock set (KEYS[1]); at most lowStockThreshold: in the low set (KEYS[3]), as the
 * inventory's own `stockStatus` says.
 */
const applyScript = newestLevelScript(`
    if available <= 0 then redis.call('SADD', KEYS[1], sku) else redis.call('SREM', KEYS[1], sku) end
    if available > 0 and available <= ${lowStockThreshold} then redis.call('SADD', KEYS[3], sku) else redis.call('SREM', KEYS[3], sku) end`);

export class OutOfStockSet {
  readonly key: string;
  /** SKU → the inventory version of the level last applied. */
  readonly versionsKey: string;

  /** SKUs with at most lowStockThreshold units available (and some). */
  readonly lowKey: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.key = `${prefix}:catalog:oos`;
    this.versionsKey = `${prefix}:catalog:oos:versions`;
    this.lowKey = `${prefix}:catalog:low`;
  }

  /**
   * How each of `skus` stands, in one round trip: out of stock, low, or in stock (also a SKU
   * whose level this projection has not seen: stock is assumed until an event says less).
   */
  async statuses(skus: string[]): Promise<Map<string, StockStatus>> {
    const out = new Map<string, StockStatus>();
    if (skus.length === 0) return out;
    const res = await this.redis.multi().smismember(this.key, ...skus).smismember(this.lowKey, ...skus).exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('stock statuses: the transaction was discarded');
    const oos = res[0]![1] as number[];
    const low = res[1]![1] as number[];
    skus.forEach((sku, i) => out.set(sku, oos[i] === 1 ? 'out_of_stock' : low[i] === 1 ? 'low' : 'in_stock'));
    return out;
  }

  async has(sku: string): Promise<boolean> {
    return (await this.redis.sismember(this.key, sku)) === 1;
  }

  /**
   * Applies stock levels, each only if newer (by inventory version) than the last applied
   * for its SKU: nothing available → in the set. Atomic per call, in one round trip, so a
   * batch redelivered after newer ones cannot bring a sold-out SKU back.
   */
  async apply(levels: StockLevel[]): Promise<void> {
    if (levels.length === 0) return;
    await this.redis.eval(applyScript, 3, this.key, this.versionsKey, this.lowKey, ...levelArgs(levels));
  }
}

/**
 * The cluster singleton that keeps the set. Every inventory event (out_of_stock,
 * back_in_stock, level) carries `available`, so the last one of a SKU decides, and a
 * replay from the start of the stream rebuilds the set.
 */
export function outOfStockProjection(deps: { nc: NatsConnection; cluster: string; set: OutOfStockSet; log: Logger }): Singleton {
  return asyncSingleton('catalog-out-of-stock', deps.log, async () => {
    const stream = inventoryStream(deps.cluster);
    const jsm = await deps.nc.jetstreamManager();
    await ensureStream(jsm, stream);
    return consumeBatches({
      js: deps.nc.jetstream(), jsm, stream: stream.name, durable: 'catalog-oos', log: deps.log,
      async handle(batch) {
        const levels: StockLevel[] = [];
        for (const m of batch) {
          const level = levelOf(m.json<LevelEvent>());
          if (level) levels.push(level);
        }
        await deps.set.apply(levels);
      },
    });
  });
}
