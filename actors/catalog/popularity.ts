// Units sold per SKU over the last 7 days, for sort=popular: a cluster singleton sums the
// analytics' daily counts of units sold (AnalyticsKeys.skuSold: kept by the order analytics
// consumer, once per event, a refund subtracting its units on the day it is refunded) every
// `intervalMs` into one Redis sorted set (built aside, then renamed), and each search node
// mirrors that set in memory. Nothing is computed on a request (DESIGN: the request path
// never computes what can be precomputed).
//
// It used to sum the paid orders' lines in MariaDB once a minute: a query whose cost grew
// with every order of the week (0.3 s of MariaDB's CPU a run at 70,000 orders, minutes at a
// large shop's volume). MariaDB is now read only to seed the daily counts when Redis has
// none (a first start, or a Redis that lost its data).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Singleton } from '../../cluster/index.ts';
import type { Pool } from '../../stores/mysql/index.ts';
import type { Popularity } from '../../stores/search/index.ts';
import { AnalyticsKeys } from '../analytics/keys.ts';
import { DAY, expireAtSec, windowBuckets } from '../analytics/windows.ts';

/**
 * Statuses of an order whose units count as sold when the counts are seeded: paid and
 * after, until refunded (a refunding order's OrderRefunded event subtracts its units).
 */
const soldStatuses = ['paid', 'shipped', 'delivered', 'return_requested', 'refunding'];

export const popularityKey = (prefix: string) => `${prefix}:catalog:popular7d`;
/** Set once the daily counts have been seeded from MariaDB; gone with the rest if Redis loses its data. */
export const popularitySeededKey = (prefix: string) => `${prefix}:catalog:popular-seeded`;

/** Recomputes the week's sum now (the singleton's step; tests call it directly). Returns how many SKUs it holds. */
export async function refreshPopularity(pool: Pool, redis: Redis, prefix: string, now = Date.now()): Promise<number> {
  const k = new AnalyticsKeys(prefix);
  const { buckets, since } = windowBuckets('week', now);
  if (!(await redis.exists(popularitySeededKey(prefix)))) await seedDailyCounts(pool, redis, k, since, now);
  // Summed inside Redis, built aside and renamed into place: the SKUs never travel here.
  const key = popularityKey(prefix);
  const next = `${key}:next`;
  const res = await redis.multi()
    .zunionstore(next, buckets.length, ...buckets.map((b) => k.skuSold('d', b)))
    // Above zero only: a week whose refunds outweigh its sales (of units sold before it) is not popular.
    .zremrangebyscore(next, '-inf', 0)
    .zcard(next)
    .exec();
  const skus = Number(res?.[2]?.[1] ?? 0);
  if (skus === 0) await redis.del(key, next);
  else await redis.rename(next, key);
  return skus;
}

/**
 * The week's daily counts from the paid orders in MariaDB, for a Redis that has none. Each
 * count is set (not added to), so what the analytics consumer counted meanwhile of the
 * same orders is not counted twice; only orders whose events were still on their way at
 * that moment (under a second's worth) can be.
 */
async function seedDailyCounts(pool: Pool, redis: Redis, k: AnalyticsKeys, since: number, now: number): Promise<void> {
  const [rows] = await pool.query(
    `SELECT FLOOR(o.paid_at / ?) AS day, jt.sku AS sku, SUM(jt.qty) AS units
       FROM orders o,
            JSON_TABLE(o.lines_json, '$[*]' COLUMNS (sku VARCHAR(64) PATH '$.sku', qty INT PATH '$.qty')) jt
      WHERE o.paid_at >= ? AND o.paid_at <= ? AND o.status IN (?)
      GROUP BY day, jt.sku`,
    [DAY, since, now, soldStatuses],
  );
  const p = redis.pipeline();
  for (const r of rows as { day: string | number; sku: string; units: string | number }[]) {
    const day = Number(r.day);
    p.zadd(k.skuSold('d', day), Number(r.units), r.sku);
    p.expireat(k.skuSold('d', day), expireAtSec('d', day));
  }
  p.set(popularitySeededKey(k.cluster), new Date(now).toISOString());
  for (const [err] of (await p.exec()) ?? []) if (err) throw err;
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

/** This node's copy of the week's sum, reloaded in the background at most every `refreshMs`. */
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
    // A hash there is an older version's, until the job's next run replaces it: no counts yet.
    const flat = await this.redis.zrange(popularityKey(this.prefix), 0, -1, 'WITHSCORES').catch((err: unknown) => {
      if (String((err as Error).message).startsWith('WRONGTYPE')) return [];
      throw err;
    });
    const next = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) next.set(flat[i]!, Number(flat[i + 1]));
    const changed = next.size !== this.units.size || [...next].some(([sku, n]) => this.units.get(sku) !== n);
    if (changed) {
      this.units = next;
      this.version++;
    }
    this.loadedAt = Date.now();
  }
}
