// Demo data for `npm start`: a few warehouses and SKUs with stock, loaded once.
import { InventoryApi } from '../actors/inventory/index.ts';
import type { AppContext } from './context.ts';

export const demoWarehouses = [
  { warehouseId: 'wh-east', name: 'East fulfilment centre', region: 'east', lat: 40.7, lon: -74.0 },
  { warehouseId: 'wh-west', name: 'West fulfilment centre', region: 'west', lat: 37.8, lon: -122.4 },
  { warehouseId: 'wh-central', name: 'Central fulfilment centre', region: 'central', lat: 41.9, lon: -87.6 },
];

export async function seedDemoData(ctx: AppContext): Promise<void> {
  for (const w of demoWarehouses) {
    await ctx.pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  }
  const [rows] = await ctx.pool.query('SELECT COUNT(*) AS n FROM inventory');
  if (Number((rows as { n: number }[])[0]?.n ?? 0) > 0) return;
  const inventory = new InventoryApi(ctx.client);
  for (let i = 1; i <= 50; i++) {
    const sku = `SKU-${String(i).padStart(5, '0')}`;
    const onHand = i % 10 === 0 ? 0 : 20 + ((i * 37) % 500);
    await inventory.setStock(sku, demoWarehouses.map((w, j) => ({ warehouseId: w.warehouseId, onHand: j === 0 ? onHand : Math.floor(onHand / (j + 1)) })));
  }
  ctx.log.info({ skus: 50 }, 'demo inventory loaded');
}
