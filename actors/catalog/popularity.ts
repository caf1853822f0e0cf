// Units sold per SKU over the last 7 days, for sort=popular: a cluster singleton sums the
// paid order lines in MariaDB every `intervalMs` into one Redis hash (built aside, then
// renamed), and each search node mirrors that hash in memory. A background query once a
// minute, never one per search (DESIGN: the request path never computes what can be
// precomputed).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import type { Pool } from '../../stores/mysql/index.ts';
import type { Popularity } from '../../stores/search/index.ts';

const weekMs = 7 * 24 * 3600_000;
/** Statuses of an order whose units count as sold (a refunded one does not). */
const soldStatuses = ['paid', 'shipped', 'delivered', 'return_requested'];

export const popularityKey = (prefix: string) => `${prefix}:catalog:popular7d`;

/** SKU → units sold in paid orders since `since` (ms). */
export async function unitsSoldSince(pool: Pool, since: number): Promise<Map<string, number>> {
  const [rows] = await pool.query(
    `SELECT jt.sku AS sku, SUM(jt.qty) AS units
       FROM orders o,
            JSON_TABLE(o.lines_json, '$[*]' COLUMNS (sku VARCHAR(64) PATH '$.sku', qty INT PATH '$.qty')) jt
      WHERE o.paid_at >= ? AND o.status IN (?)
      GROUP BY jt.sku`,
    [since, soldStatuses],
  );
  return new Map((rows as { sku: string; units: string | number }[]).map((r) => [r.sku, Number(r.units)]));
}

/** Recomputes the hash now (the singleton's step; tests call it directly). */
export async function refreshPopularity(pool: Pool, redis: Redis, prefix: string, now = Date.now()): Promise<number> {
  const units = await unitsSoldSince(pool, now - weekMs);
  const key = popularityKey(prefix);
  const next = `${key}:next`;
  await redis.del(next);
  const flat = [...units].map(([sku, n]) => [sku, String(n)]).flat();
  if (flat.length === 0) {
    await redis.del(key);
    return 0;
  }
  for (let i = 0; i < flat.length; i += 10_000) await redis.hset(next, ...flat.slice(i, i + 10_000));
  await redis.rename(next, key);
  return units.size;
}

export function popularityJob(deps: { pool: Pool; redis: Redis; prefix: string; log: Logger; intervalMs?: number }): Singleton {
  return {
    name: 'catalog-popularity',
    start() {
      const run = () => refreshPopularity(deps.pool, deps.redis, deps.prefix)
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'popularity refresh failed'));
      void run();
      const timer = setInterval(run, deps.intervalMs ?? 60_000);
      return { async stop() { clearInterval(timer); } };
    },
  };
}

/** This node's copy of the hash, reloaded in the background at most every `refreshMs`. */
export class PopularityMirror {
  private units = new Map<string, number>();
  private version = 0;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly refreshMs = 5000) {}

  async current(): Promise<Popularity> {
    if (Date.now() - this.loadedAt >= this.refreshMs) {
      const loading = (this.loading ??= this.reload().finally(() => (this.loading = undefined)));
      if (this.loadedAt === 0) await loading;
      else loading.catch(() => undefined); // a failed reload keeps the last copy; the next call tries again
    }
    const units = this.units;
    return { version: `p${this.version}`, of: (sku) => units.get(sku) ?? 0 };
  }

  private async reload(): Promise<void> {
    const raw = await this.redis.hgetall(popularityKey(this.prefix));
    const next = new Map(Object.entries(raw).map(([sku, n]) => [sku, Number(n)]));
    const changed = next.size !== this.units.size || [...next].some(([sku, n]) => this.units.get(sku) !== n);
    if (changed) {
      this.units = next;
      this.version++;
    }
    this.loadedAt = Date.now();
  }
}
