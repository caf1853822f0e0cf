// Warehouses (the table comes with the inventory migration): which ids exist.
import type { Pool } from './pool.ts';

export class WarehouseRepository {
  constructor(private readonly pool: Pool) {}

  /** The ids among `ids` that are not warehouses. */
  async unknown(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const [rows] = await this.pool.query('SELECT warehouse_id FROM warehouses WHERE warehouse_id IN (?)', [ids]);
    const known = new Set((rows as { warehouse_id: string }[]).map((r) => r.warehouse_id));
    return ids.filter((id) => !known.has(id));
  }
}
