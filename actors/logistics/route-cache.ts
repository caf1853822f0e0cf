// The routes warehouse → cluster, read from MariaDB at most once a minute per process (and
// again after an operator's change, when the owner calls invalidate), for
// the two questions checkout asks: which warehouses reach a cluster fastest (to reserve
// from them first), and how long an order's lines take to arrive.
import type { LogisticsRepository } from '../../stores/mysql/logistics.ts';
import { Reloading } from '../../stores/reloading.ts';
import { routeTable, type RouteTable } from './estimates.ts';

export class RouteCache {
  private readonly table: Reloading<RouteTable>;

  constructor(repo: LogisticsRepository, maxAgeMs = 60_000) {
    this.table = new Reloading(async () => routeTable(await repo.routes()), maxAgeMs);
  }

  /** An operator changed routes: the next question reads them again. */
  invalidate(): void {
    this.table.invalidate();
  }

  private routes(): Promise<RouteTable> {
    return this.table.current();
  }

  /** Warehouses with a route to `cluster`, fastest first; undefined when none. */
  async fastestTo(cluster: string): Promise<string[] | undefined> {
    const byWarehouse = (await this.routes()).get(cluster);
    if (!byWarehouse || byWarehouse.size === 0) return undefined;
    return [...byWarehouse].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  }

  /** Warehouses with a route to `cluster` and their transit days, fastest first; empty when none. */
  async to(cluster: string): Promise<[string, number][]> {
    const byWarehouse = (await this.routes()).get(cluster);
    return [...(byWarehouse ?? [])].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  }

  /** Transit days from a warehouse to a cluster; undefined when there is no route. */
  async days(warehouseId: string, cluster: string): Promise<number | undefined> {
    return (await this.routes()).get(cluster)?.get(warehouseId);
  }
}
