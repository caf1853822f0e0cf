// What a shopper can buy, as a search index filter: this node's mirror of the out-of-stock
// set and of each delivery cluster's estimates, reloaded from Redis in the background (the
// stock set every 500 ms; a cluster's estimates when their version key moved, checked every
// 250 ms), so counting every hit of a query costs set lookups, not round trips. The page itself is still checked live (search-service.ts): the mirror only makes
// `total` and the facets count what survives, within one refresh of the truth.
import type { Redis } from 'ioredis';
import type { HitFilter } from '../../stores/search/index.ts';
import type { DeliveryEstimates } from '../logistics/index.ts';
import type { OutOfStockSet } from './out-of-stock.ts';

/**
 * A set copied from Redis, checked at most every `checkMs`: reloaded then, or, with a
 * `sourceVersion`, only when that moved (and at least every 30 s). `version` moves when
 * the members changed.
 */
class MirroredSet {
  members = new Set<string>();
  version = 0;
  private checkedAt = 0;
  private loadedAt = 0;
  private seenSource: string | null = null;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<string[]>,
    private readonly checkMs: number,
    private readonly sourceVersion?: () => Promise<string | null>,
  ) {}

  /** The current members; waits only for the very first load. */
  async current(): Promise<Set<string>> {
    if (Date.now() - this.checkedAt >= this.checkMs) {
      const loading = (this.loading ??= this.refresh().finally(() => (this.loading = undefined)));
      if (this.loadedAt === 0) await loading;
      // A background refresh that fails (Redis restarting) keeps the last copy, and the
      // next check tries again; left unhandled it would have killed the node.
      else loading.catch(() => undefined);
    }
    return this.members;
  }

  private async refresh(): Promise<void> {
    this.checkedAt = Date.now();
    if (this.sourceVersion && this.loadedAt > 0 && Date.now() - this.loadedAt < 30_000) {
      const source = await this.sourceVersion();
      if (source === this.seenSource) return;
    }
    this.seenSource = this.sourceVersion ? await this.sourceVersion() : null;
    const next = new Set(await this.load());
    let same = next.size === this.members.size;
    if (same) for (const m of next) if (!this.members.has(m)) { same = false; break; }
    if (!same) {
      this.members = next;
      this.version++;
    }
    this.loadedAt = Date.now();
  }
}

export class ShopperFilter {
  private readonly outOfStock: MirroredSet;
  private readonly deliverable = new Map<string, MirroredSet>();

  constructor(
    private readonly redis: Redis,
    oos: OutOfStockSet,
    private readonly estimates: DeliveryEstimates,
    private readonly checkMs = { stock: 500, delivery: 250 },
  ) {
    this.outOfStock = new MirroredSet(() => this.redis.smembers(oos.key), checkMs.stock);
  }

  /** The filter for a shopper in `cluster` (no cluster: stock only). */
  async filterFor(cluster: string | undefined): Promise<HitFilter> {
    const oos = await this.outOfStock.current();
    if (!cluster) {
      return { version: `s${this.outOfStock.version}`, accepts: (sku) => !oos.has(sku) };
    }
    let mirror = this.deliverable.get(cluster);
    if (!mirror) {
      mirror = new MirroredSet(() => this.redis.hkeys(this.estimates.key(cluster)), this.checkMs.delivery, () => this.redis.get(this.estimates.versionKey));
      this.deliverable.set(cluster, mirror);
    }
    const reachable = await mirror.current();
    return { version: `s${this.outOfStock.version}:${cluster}:d${mirror.version}`, accepts: (sku) => !oos.has(sku) && reachable.has(sku) };
  }
}
