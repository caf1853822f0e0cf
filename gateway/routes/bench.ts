// Routes for bench:http only (BENCH_ROUTES=1), never in production: a bare hello (the
// ceiling of HTTP + Hono on this machine) and a flash-sale reserve of one unit, until
// checkout exists to reserve through.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { InventoryApi } from '../../actors/inventory/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { skuParam } from './params.ts';

/** Mounted before every middleware: nothing but routing and a response. */
export function benchHello(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/bench/hello', (c) => c.json({ hello: 'world' }));
  return app;
}

export function benchRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const inventory = new InventoryApi(deps.client);
  app.post('/bench/reserve/:sku', async (c) => {
    const r = await inventory.reserve(skuParam(c.req.param('sku')), { reservationId: randomUUID(), qty: 1, ttlMs: 600_000 });
    return c.json(r);
  });
  return app;
}
