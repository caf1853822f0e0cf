// Loads a generated catalog into a running system: warehouses, clusters and routes in
// MariaDB, stock rows for SKUs that have none yet, and the products as CATALOG events (the
// item service and every node's indexer take them from there).
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { CatalogEvent } from '../actors/catalog/index.ts';
import { logisticsChangedSubject } from '../actors/logistics/index.ts';
import { catalogStream, ensureStream } from '../stores/events/index.ts';
import type { Pool } from '../stores/mysql/index.ts';
import { LogisticsRepository } from '../stores/mysql/logistics.ts';
import { demoCatalog, demoSku, demoStock, logisticsClusters, logisticsRoutes, logisticsWarehouses } from './catalog-demo.ts';

export async function loadLogistics(pool: Pool): Promise<void> {
  const repo = new LogisticsRepository(pool);
  await repo.upsertWarehouses(logisticsWarehouses);
  await repo.upsertClusters(logisticsClusters);
  await repo.upsertRoutes(logisticsRoutes);
}

/** True when the CATALOG stream already holds events (the demo was loaded before). */
export async function catalogLoaded(nc: NatsConnection, cluster: string, count: number): Promise<boolean> {
  const jsm = await nc.jetstreamManager();
  const stream = catalogStream(cluster);
  await ensureStream(jsm, stream);
  // The demo catalog's last product on its subject, not any message: products an operator
  // posted before the first demo seed made it look loaded, and the demo SKUs then had rows
  // (cart and checkout took them) but no catalog page (an ops audit: 404).
  if (count === 0) return true;
  try {
    await jsm.streams.getMessage(stream.name, { last_by_subj: stream.subject('product', demoSku(count)) });
    return true;
  } catch (err) {
    // Only "no such message" means not loaded; a timeout or a leader election would reload
    // the whole demo catalog over an operator's edits.
    const e = err as { code?: unknown; api_error?: { err_code?: number } };
    if (e.api_error?.err_code === 10037 || e.code === '404' || e.code === 404) return false;
    throw err;
  }
}

export async function loadDemoCatalog(deps: { pool: Pool; nc: NatsConnection; cluster: string; log: Logger }, count: number): Promise<void> {
  const started = Date.now();
  await loadLogistics(deps.pool);
  const products = demoCatalog(count);
  // Stock is written as rows, not asks, because it is a bulk load before anyone shops; only
  // SKUs without an inventory row get one, so live stock is never overwritten.
  for (let i = 0; i < products.length; i += 1000) {
    const skus: [string, { warehouseId: string; onHand: number }[]][] = [];
    for (let k = i; k < Math.min(i + 1000, products.length); k++) skus.push([products[k]!.sku, demoStock(k + 1)]);
    const [rows] = await deps.pool.query('SELECT sku FROM inventory WHERE sku IN (?)', [skus.map(([s]) => s)]);
    const have = new Set((rows as { sku: string }[]).map((r) => r.sku));
    const fresh = skus.filter(([s]) => !have.has(s));
    if (fresh.length === 0) continue;
    await deps.pool.query('INSERT IGNORE INTO inventory (sku, version, on_hand, reserved) VALUES ?',
      [fresh.map(([s, ws]) => [s, 0, ws.reduce((n, w) => n + w.onHand, 0), 0])]);
    const stockRows = fresh.flatMap(([s, ws]) => ws.map((w) => [s, w.warehouseId, w.onHand, 0]));
    if (stockRows.length > 0) await deps.pool.query('INSERT IGNORE INTO inventory_stock (sku, warehouse_id, on_hand, reserved) VALUES ?', [stockRows]);
  }
  const jsm = await deps.nc.jetstreamManager();
  const stream = catalogStream(deps.cluster);
  await ensureStream(jsm, stream);
  const js = deps.nc.jetstream();
  const encoder = new TextEncoder();
  const at = Date.now();
  for (let i = 0; i < products.length; i += 2000) {
    await Promise.all(products.slice(i, i + 2000).map((p, k) => {
      // Spread creation times so "newest" has an order to show.
      const event: CatalogEvent = { kind: 'product', product: { ...p, createdAt: at - (products.length - i - k) * 1000, updatedAt: at } };
      return js.publish(stream.subject('product', p.sku), encoder.encode(JSON.stringify(event)));
    }));
  }
  deps.nc.publish(logisticsChangedSubject(deps.cluster));
  deps.log.info({ products: products.length, ms: Date.now() - started }, 'demo catalog loaded');
}
