// Shipping rates: the cost of sending an order to a delivery cluster, per weight class,
// with cluster '*' as the default for clusters without rates of their own.
import type { Pool } from './pool.ts';
import { Reloading } from '../reloading.ts';

export const weightClasses = ['small', 'medium', 'large', 'bulky'] as const;
export type WeightClass = (typeof weightClasses)[number];

export interface ShippingRate { clusterId: string; weightClass: WeightClass; amount: number }

export class ShippingRepository {
  /** `changed` runs after every edit (the gateway tells the nodes, whose ShippingRateTable reloads). */
  constructor(private readonly pool: Pool, private readonly changed: () => void = () => undefined) {}

  async all(): Promise<ShippingRate[]> {
    const [rows] = await this.pool.query('SELECT cluster_id, weight_class, amount FROM shipping_rates ORDER BY cluster_id, weight_class');
    return (rows as { cluster_id: string; weight_class: WeightClass; amount: number }[]).map((r) => ({ clusterId: r.cluster_id, weightClass: r.weight_class, amount: Number(r.amount) }));
  }

  /** The rate for a cluster and class: the cluster's own, else the default ('*'). */
  async rate(clusterId: string, weightClass: WeightClass): Promise<number | undefined> {
    const [rows] = await this.pool.query(
      "SELECT amount FROM shipping_rates WHERE cluster_id IN (?, '*') AND weight_class = ? ORDER BY cluster_id = '*' LIMIT 1",
      [clusterId, weightClass],
    );
    const r = (rows as { amount: number }[])[0];
    return r === undefined ? undefined : Number(r.amount);
  }

  /** Sets a cluster's rates (the classes given; others keep theirs). */
  async put(clusterId: string, rates: { weightClass: WeightClass; amount: number }[]): Promise<void> {
    if (rates.length === 0) return;
    await this.pool.query(
      'INSERT INTO shipping_rates (cluster_id, weight_class, amount) VALUES ? ON DUPLICATE KEY UPDATE amount = VALUES(amount)',
      [rates.map((r) => [clusterId, r.weightClass, r.amount])],
    );
    this.changed();
  }
}

/**
 * The whole rate table in memory (a few rows per cluster), reloaded every `maxAgeMs` and
 * at once when told of an edit: a checkout asked MariaDB for its rate every time, one
 * round trip of about nine per order.
 */
export class ShippingRateTable {
  private readonly table: Reloading<Map<string, number>>;

  constructor(repo: ShippingRepository, maxAgeMs = 30_000) {
    this.table = new Reloading(async () => new Map((await repo.all()).map((r) => [`${r.clusterId}\u0000${r.weightClass}`, r.amount])), maxAgeMs);
  }

  /** An operator changed something: the next lookup reloads. */
  invalidate(): void {
    this.table.invalidate();
  }

  /** The rate for a cluster and class: the cluster's own, else the default ('*'). */
  async rate(clusterId: string, weightClass: WeightClass): Promise<number | undefined> {
    const table = await this.table.current();
    return table.get(`${clusterId}\u0000${weightClass}`) ?? table.get(`*\u0000${weightClass}`);
  }
}
