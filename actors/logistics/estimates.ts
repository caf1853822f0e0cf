// Delivery estimates: the pure computation (fastest route from any warehouse holding stock
// to each cluster) and the Redis read model it is written to, one hash per cluster
// (`<prefix>:eta:<cluster>`, SKU → transit days), so a search page needs one HMGET.
import type { Redis } from 'ioredis';
import type { Route } from '../../stores/mysql/logistics.ts';

/** cluster → (warehouse → days), for quick lookups while computing. */
export type RouteTable = Map<string, Map<string, number>>;

export function routeTable(routes: Route[]): RouteTable {
  const t: RouteTable = new Map();
  for (const r of routes) {
    const m = t.get(r.clusterId) ?? new Map<string, number>();
    m.set(r.warehouseId, r.transitDays);
    t.set(r.clusterId, m);
  }
  return t;
}

/** For one SKU stocked in `warehouses`: cluster → fewest transit days; unreachable clusters are absent. */
export function estimate(warehouses: string[], table: RouteTable): Map<string, number> {
  const out = new Map<string, number>();
  for (const [cluster, byWarehouse] of table) {
    let best: number | undefined;
    for (const w of warehouses) {
      const d = byWarehouse.get(w);
      if (d !== undefined && (best === undefined || d < best)) best = d;
    }
    if (best !== undefined) out.set(cluster, best);
  }
  return out;
}

export interface Eta { eta: string; days: number }

/** The delivery date `days` from `now` (UTC calendar date). */
export function etaOf(days: number, now = Date.now()): Eta {
  return { eta: new Date(now + days * 86_400_000).toISOString().slice(0, 10), days };
}

export class DeliveryEstimates {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  key(cluster: string): string {
    return `${this.prefix}:eta:${cluster}`;
  }

  /** Goes up whenever a SKU became deliverable or undeliverable somewhere (mirrors poll it). */
  get versionKey(): string {
    return `${this.prefix}:eta:version`;
  }

  /** Transit days to `cluster` per SKU; undefined where it cannot be delivered. One round trip. */
  async days(cluster: string, skus: string[]): Promise<(number | undefined)[]> {
    if (skus.length === 0) return [];
    const raw = await this.redis.hmget(this.key(cluster), ...skus);
    return raw.map((v) => (v === null ? undefined : Number(v)));
  }

  /** Writes the estimates of some SKUs; clusters they no longer reach lose them. */
  async write(perSku: Map<string, Map<string, number>>, clusters: string[]): Promise<void> {
    const p = this.redis.pipeline();
    for (const [sku, byCluster] of perSku) {
      for (const c of clusters) {
        const d = byCluster.get(c);
        if (d === undefined) p.hdel(this.key(c), sku);
        else p.hset(this.key(c), sku, String(d));
      }
    }
    const results = await p.exec();
    // HSET answers 1 for a new field and HDEL 1 for a removed one: only those change what is deliverable.
    if (results?.some(([err, n]) => !err && n === 1)) await this.redis.incr(this.versionKey);
  }

  /** Replaces every cluster's hash at once (a full rebuild): built aside, then renamed. */
  async replaceAll(perCluster: Map<string, Map<string, number>>, clusters: string[]): Promise<void> {
    for (const c of clusters) {
      const entries = perCluster.get(c);
      const next = `${this.key(c)}:next`;
      await this.redis.del(next);
      if (!entries || entries.size === 0) {
        await this.redis.del(this.key(c));
        continue;
      }
      const flat = [...entries].map(([sku, d]) => [sku, String(d)]);
      for (let i = 0; i < flat.length; i += 5000) await this.redis.hset(next, ...flat.slice(i, i + 5000).flat());
      await this.redis.rename(next, this.key(c));
    }
    await this.redis.incr(this.versionKey);
  }
}
