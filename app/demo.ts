// Demo data for `npm start`: a few warehouses and SKUs with stock, loaded once.
import { InventoryApi } from '../actors/inventory/index.ts';
import { ProductRepository, type Product } from '../stores/mysql/products.ts';
import type { AppContext } from './context.ts';
import { catalogLoaded, loadDemoCatalog, loadLogistics } from './catalog-load.ts';
import { demoCatalog } from './catalog-demo.ts';
import type { Pool } from '../stores/mysql/index.ts';

export const demoWarehouses = [
  { warehouseId: 'wh-east', name: 'East fulfilment centre', region: 'east', lat: 40.7, lon: -74.0 },
  { warehouseId: 'wh-west', name: 'West fulfilment centre', region: 'west', lat: 37.8, lon: -122.4 },
  { warehouseId: 'wh-central', name: 'Central fulfilment centre', region: 'central', lat: 41.9, lon: -87.6 },
];

const categories = ['electronics', 'books', 'home', 'toys', 'sports', 'beauty', 'grocery', 'fashion'];
const brands = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell'];

/** `count` demo products SKU-00001…; the first 50 are the SKUs that get demo stock. */
export function demoProducts(count = 300): Product[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const category = categories[i % categories.length]!;
    const brand = brands[(i * 7) % brands.length]!;
    return {
      sku: `SKU-${String(i).padStart(5, '0')}`,
      title: `${brand} ${category} item ${i}`,
      brand,
      category,
      price: 199 + ((i * 7919) % 49_800),
      currency: 'USD',
      attributes: { color: ['black', 'white', 'red', 'blue'][i % 4], weightGrams: 100 + (i % 50) * 20 },
      supplierId: `sup-${(i % 12) + 1}`,
    };
  });
}

/**
 * Builds before this one upserted the simple demo products over the catalog's on every
 * start. A row that still holds exactly a simple product's title and price gets the
 * catalog's values back (the generator is deterministic); a product edited since holds
 * others and is left. Returns how many rows changed.
 */
export async function restoreCatalogRows(pool: Pool, catalogSize: number): Promise<number> {
  const catalog = new Map(demoCatalog(Math.min(catalogSize, 300)).map((p) => [p.sku, p]));
  const statements: string[] = [];
  const params: unknown[] = [];
  for (const simple of demoProducts()) {
    const p = catalog.get(simple.sku);
    if (!p) continue;
    statements.push('UPDATE products SET title = ?, brand = ?, category = ?, price = ?, currency = ?, attributes = ?, supplier_id = ? WHERE sku = ? AND title = ? AND price = ?;');
    params.push(p.title, p.brand, p.category, p.price, p.currency, JSON.stringify(p.attributes), p.supplierId, p.sku, simple.title, simple.price);
  }
  if (statements.length === 0) return 0;
  const [results] = await pool.query(statements.join('\n'), params);
  const each = Array.isArray(results) ? (results as { affectedRows: number }[]) : [results as { affectedRows: number }];
  return each.reduce((n, r) => n + (r.affectedRows ?? 0), 0);
}

export async function seedDemoData(ctx: AppContext): Promise<void> {
  // Only the SKUs not there yet: on every start after the first, the catalog below had
  // already replaced these, and overwriting them again gave the cart and checkout other
  // titles and prices than the product page and search (which read the catalog) showed.
  await new ProductRepository(ctx.pool).insertMissing(demoProducts());
  for (const w of demoWarehouses) {
    await ctx.pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  }
  // Delivery clusters and routes, so demo addresses are deliverable (checkout refuses others).
  await loadLogistics(ctx.pool);
  // The catalog (about 5,000 products by default, DEMO_PRODUCTS) replaces the simple demo
  // products above as the same SKUs come through the item service; SKU-00001… stay valid.
  if (ctx.config.demoProducts > 0) {
    if (!(await catalogLoaded(ctx.nc, ctx.config.cluster, ctx.config.demoProducts))) {
      await loadDemoCatalog({ pool: ctx.pool, nc: ctx.nc, cluster: ctx.config.cluster, log: ctx.log }, ctx.config.demoProducts);
    } else {
      const restored = await restoreCatalogRows(ctx.pool, ctx.config.demoProducts);
      if (restored > 0) ctx.log.info({ restored }, 'demo products an earlier seed had overwritten were given the catalog\'s values back');
    }
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
