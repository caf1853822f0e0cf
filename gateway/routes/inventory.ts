// Inventory over HTTP: read stock, and (admin) set it per warehouse.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { InventoryApi, type InventoryView } from '../../actors/inventory/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { body } from '../validate.ts';
import { setStockBody } from '../schemas.ts';
import { skuParam } from './params.ts';

export function inventoryRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const inventory = new InventoryApi(deps.client);
  // Concurrent reads of one SKU share the ask in flight: each answer is still one the
  // entity gave after the request arrived, and a hot SKU's mailbox is not flooded by reads.
  const reading = new Map<string, Promise<InventoryView>>();
  const read = (sku: string): Promise<InventoryView> => {
    let p = reading.get(sku);
    if (!p) {
      p = inventory.get(sku).finally(() => reading.delete(sku));
      reading.set(sku, p);
    }
    return p;
  };
  app.get('/v1/inventory/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const v = await read(sku);
    // Neither stock nor a product: a SKU that does not exist is a 404, as in the cart. Stock
    // may come before the product (a warehouse feed), and a product may have none yet: both 200.
    if (v.warehouses.length === 0 && !(await deps.personalisation.product(sku))) throw new HttpError(404, 'unknown_sku', `no product or stock for ${sku}`);
    return c.json({ sku: v.sku, available: Math.max(0, v.available), reserved: v.reserved, onHand: v.onHand, status: v.status, warehouses: v.warehouses });
  });
  app.put('/v1/admin/inventory/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const { warehouses } = await body(c, setStockBody);
    const ids = warehouses.map((w) => w.warehouseId);
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dupes.length > 0) throw new HttpError(422, 'duplicate_warehouse', `each warehouse may appear once: ${[...new Set(dupes)].join(', ')}`, { warehouses: [...new Set(dupes)] });
    const unknown = await deps.unknownWarehouses(ids);
    if (unknown.length > 0) throw new HttpError(422, 'unknown_warehouse', `no such warehouse: ${unknown.join(', ')}`, { warehouses: unknown });
    // With an Idempotency-Key, a resent PUT is the same setStock command, recognised by the
    // SKU instead of applied again over the sales made in between.
    const key = c.req.header('idempotency-key');
    const commandId = key ? `put-${createHash('sha256').update(`${sku}\n${key}`).digest('hex').slice(0, 48)}` : undefined;
    return c.json(await inventory.setStock(sku, warehouses, commandId ? { commandId } : {}));
  });
  return app;
}
