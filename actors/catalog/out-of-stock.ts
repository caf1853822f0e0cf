// The out-of-stock set: a Redis set of SKUs with nothing available, kept by one durable
// consumer of INVENTORY events. Search asks it once per page which SKUs to drop.
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import { consumeBatches, ensureStream, inventoryStream } from '../../stores/events/index.ts';
import { asyncSingleton } from './jobs.ts';

export class OutOfStockSet {
  readonly key: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.key = `${prefix}:catalog:oos`;
  }

  /** The SKUs among `skus` that are out of stock, in one round trip. */
  async which(skus: string[]): Promise<Set<string>> {
    if (skus.length === 0) return new Set();
    const flags = await this.redis.smismember(this.key, ...skus);
    return new Set(skus.filter((_, i) => flags[i] === 1));
  }

  async has(sku: string): Promise<boolean> {
    return (await this.redis.sismember(this.key, sku)) === 1;
  }

  add(sku: string): Promise<number> {
    return this.redis.sadd(this.key, sku);
  }

  remove(sku: string): Promise<number> {
    return this.redis.srem(this.key, sku);
  }

  /** Applies stock levels in order, in one pipeline: nothing available → in the set. */
  async apply(levels: { sku: string; available: number }[]): Promise<void> {
    if (levels.length === 0) return;
    const p = this.redis.pipeline();
    for (const l of levels) {
      if (l.available <= 0) p.sadd(this.key, l.sku);
      else p.srem(this.key, l.sku);
    }
    await p.exec();
  }
}

interface LevelEvent { sku?: unknown; available?: unknown }

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
        const levels: { sku: string; available: number }[] = [];
        for (const m of batch) {
          const e = m.json<LevelEvent>();
          if (typeof e.sku === 'string' && typeof e.available === 'number') levels.push({ sku: e.sku, available: e.available });
        }
        await deps.set.apply(levels);
      },
    });
  });
}
