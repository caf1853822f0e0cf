// Logistics data: warehouses, delivery clusters, routes warehouse → cluster, and where
// stock sits (inventory_stock rows with units available).
import type { Pool } from './pool.ts';
import { StoreUnavailableError } from './errors.ts';
import { writeAtomicallyThenRead, type Statement } from './writes.ts';

/** The named lock of a change of zones: one per database, as the tables are. */
const zonesLock = "CONCAT(DATABASE(), '.delivery_zones')";

export interface Warehouse { warehouseId: string; name: string; region: string; location: { lat: number; lon: number } | null }
export interface DeliveryCluster { clusterId: string; name: string; country: string }
export interface Route { warehouseId: string; clusterId: string; transitDays: number }
/** Postal codes of `country` starting with `postalPrefix` (upper-case, no spaces) belong to `clusterId`. */
export interface DeliveryZone { country: string; postalPrefix: string; clusterId: string }

export class LogisticsRepository {
  constructor(private readonly pool: Pool) {}

  async warehouses(): Promise<Warehouse[]> {
    const [rows] = await this.pool.query('SELECT warehouse_id, name, region, lat, lon FROM warehouses ORDER BY warehouse_id');
    return (rows as { warehouse_id: string; name: string; region: string; lat: number | null; lon: number | null }[]).map((r) => ({
      warehouseId: r.warehouse_id, name: r.name, region: r.region, location: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
    }));
  }

  async clusters(): Promise<DeliveryCluster[]> {
    const [rows] = await this.pool.query('SELECT cluster_id, name, country FROM delivery_clusters ORDER BY cluster_id');
    return (rows as { cluster_id: string; name: string; country: string }[]).map((r) => ({ clusterId: r.cluster_id, name: r.name, country: r.country }));
  }

  async routes(): Promise<Route[]> {
    const [rows] = await this.pool.query('SELECT warehouse_id, cluster_id, transit_days FROM delivery_routes');
    return (rows as { warehouse_id: string; cluster_id: string; transit_days: number }[]).map((r) => ({ warehouseId: r.warehouse_id, clusterId: r.cluster_id, transitDays: r.transit_days }));
  }

  async upsertWarehouses(ws: Warehouse[]): Promise<void> {
    if (ws.length === 0) return;
    await this.pool.query(
      'INSERT INTO warehouses (warehouse_id, name, region, lat, lon) VALUES ? ON DUPLICATE KEY UPDATE name = VALUES(name), region = VALUES(region), lat = VALUES(lat), lon = VALUES(lon)',
      [ws.map((w) => [w.warehouseId, w.name, w.region, w.location?.lat ?? null, w.location?.lon ?? null])],
    );
  }

  async upsertClusters(cs: DeliveryCluster[]): Promise<void> {
    if (cs.length === 0) return;
    await this.pool.query('INSERT INTO delivery_clusters (cluster_id, name, country) VALUES ? ON DUPLICATE KEY UPDATE name = VALUES(name), country = VALUES(country)',
      [cs.map((c) => [c.clusterId, c.name, c.country])]);
  }

  async upsertRoutes(rs: Route[]): Promise<void> {
    if (rs.length === 0) return;
    await this.pool.query('INSERT INTO delivery_routes (warehouse_id, cluster_id, transit_days) VALUES ? ON DUPLICATE KEY UPDATE transit_days = VALUES(transit_days)',
      [rs.map((r) => [r.warehouseId, r.clusterId, r.transitDays])]);
  }

  /** True when a route was there to delete. */
  async deleteRoute(warehouseId: string, clusterId: string): Promise<boolean> {
    const [res] = await this.pool.query('DELETE FROM delivery_routes WHERE warehouse_id = ? AND cluster_id = ?', [warehouseId, clusterId]);
    return (res as { affectedRows: number }).affectedRows > 0;
  }

  async zones(): Promise<DeliveryZone[]> {
    const [rows] = await this.pool.query('SELECT country, postal_prefix, cluster_id FROM delivery_zones ORDER BY country, postal_prefix');
    return (rows as { country: string; postal_prefix: string; cluster_id: string }[]).map((r) => ({ country: r.country, postalPrefix: r.postal_prefix, clusterId: r.cluster_id }));
  }

  /**
   * Creates or updates `cluster` and makes `prefixes` (of its country) exactly its zones,
   * unless another cluster holds one of them: then nothing changes, the cluster row
   * included, and those zones are returned (zone_taken: a 409 that had already created or
   * renamed the cluster said "nothing changed" untruly). One
   * change of zones at a time, under a named lock: two admins giving one prefix to two
   * clusters at once had both passed the caller's check and been answered 200, the prefix
   * silently the later one's; and concurrent changes deadlocked (a DELETE by cluster and an
   * upsert by prefix), a 500.
   *
   * The lock, the check and the writes go as ONE compound statement (writes.ts), the lock
   * freed inside it after the COMMIT or the ROLLBACK. Not an interactive sequence: a
   * gateway stopped in its middle (SIGSTOP, a long GC pause, a frozen VM) kept the named
   * lock, and the cluster's and zones' rows, for as long as it stayed stopped, so every
   * other change of zones, on every gateway, was refused 503 after its 5 s wait.
   */
  async putClusterWithZones(cluster: DeliveryCluster, prefixes: string[]): Promise<DeliveryZone[]> {
    const { clusterId, country } = cluster;
    const statements: Statement[] = [
      // Taken before any read of the transaction, so its snapshot is the one after the
      // previous holder's COMMIT (which that holder made before freeing the lock).
      { sql: `SET @shop_zones_lock = GET_LOCK(${zonesLock}, 5);` },
      { sql: "IF @shop_zones_lock IS NULL OR @shop_zones_lock <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'zones_busy'; END IF;" },
      prefixes.length > 0
        ? {
          // SELECT … INTO, a plain consistent read as before; `SET @v = (SELECT …)` would take
          // shared locks on the rows it reads.
          sql: `SELECT JSON_ARRAYAGG(JSON_OBJECT('country', country, 'postalPrefix', postal_prefix, 'clusterId', cluster_id)) INTO @shop_zones_taken
            FROM delivery_zones WHERE country = ? AND postal_prefix IN (?) AND cluster_id <> ?;`,
          params: [country, prefixes, clusterId],
        }
        : { sql: 'SET @shop_zones_taken = NULL;' },
      {
        sql: `IF @shop_zones_taken IS NULL THEN
          INSERT INTO delivery_clusters (cluster_id, name, country) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), country = VALUES(country);
          DELETE FROM delivery_zones WHERE cluster_id = ?;
          ${prefixes.length > 0 ? 'INSERT INTO delivery_zones (country, postal_prefix, cluster_id) VALUES ? ON DUPLICATE KEY UPDATE cluster_id = VALUES(cluster_id);' : ''}
        END IF;`,
        params: [clusterId, cluster.name, country, clusterId, ...(prefixes.length > 0 ? [prefixes.map((p) => [country, p, clusterId])] : [])],
      },
    ];
    try {
      const { taken } = await writeAtomicallyThenRead<{ taken: string | null }>(this.pool, statements, 'SELECT @shop_zones_taken AS taken',
        `the zones of delivery cluster ${clusterId}`, [`DO RELEASE_LOCK(${zonesLock});`]);
      return taken === null ? [] : (JSON.parse(taken) as DeliveryZone[]);
    } catch (err) {
      if ((err as { sqlMessage?: unknown }).sqlMessage === 'zones_busy') {
        throw new StoreUnavailableError('the delivery zones are being changed by another request; retry shortly', { cause: err });
      }
      throw err;
    }
  }

  /** For each SKU, the warehouses holding units available now (SKUs with none are absent). */
  async stockLocations(skus: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (skus.length === 0) return out;
    const [rows] = await this.pool.query('SELECT sku, warehouse_id FROM inventory_stock WHERE sku IN (?) AND on_hand > reserved', [skus]);
    for (const r of rows as { sku: string; warehouse_id: string }[]) {
      const list = out.get(r.sku) ?? [];
      list.push(r.warehouse_id);
      out.set(r.sku, list);
    }
    return out;
  }

  /** Every stocked SKU's locations, a page at a time in SKU order (for a full rebuild). */
  async stockLocationsPage(afterSku: string, limit: number): Promise<Map<string, string[]>> {
    const [rows] = await this.pool.query(
      `SELECT s.sku, s.warehouse_id FROM inventory_stock s
       JOIN (SELECT DISTINCT sku FROM inventory_stock WHERE sku > ? AND on_hand > reserved ORDER BY sku LIMIT ?) page ON page.sku = s.sku
       WHERE s.on_hand > s.reserved ORDER BY s.sku`,
      [afterSku, limit],
    );
    const out = new Map<string, string[]>();
    for (const r of rows as { sku: string; warehouse_id: string }[]) {
      const list = out.get(r.sku) ?? [];
      list.push(r.warehouse_id);
      out.set(r.sku, list);
    }
    return out;
  }
}
