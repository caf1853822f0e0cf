// Inventory over HTTP: read stock, and (admin) set it per warehouse.
import { Hono } from 'hono';
import { InventoryApi } from '../../actors/inventory/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { requireAdmin } from '../auth.ts';
import { readJson } from '../body.ts';

const skuPattern = /^[A-Za-z0-9_\-:@+=]{1,128}$/;

function sku(raw: string): string {
  if (!skuPattern.test(raw)) throw new HttpError(400, 'invalid_sku', 'sku must be 1-128 characters of letters, digits and _-:@+=');
  return raw;
}

export function inventoryRoutes(deps: GatewayDeps): Hono {
  const app = new Hono();
  const inventory = new InventoryApi(deps.client);
  app.get('/v1/inventory/:sku', async (c) => {
    const v = await inventory.get(sku(c.req.param('sku')));
    return c.json({ sku: v.sku, available: Math.max(0, v.available), reserved: v.reserved, onHand: v.onHand, status: v.status, warehouses: v.warehouses });
  });
  app.put('/v1/admin/inventory/:sku', requireAdmin(deps), async (c) => {
    const body = await readJson(c);
    const warehouses = (body as { warehouses?: unknown }).warehouses;
    const v = await inventory.setStock(sku(c.req.param('sku')), warehouses as never);
    return c.json(v);
  });
  return app;
}
