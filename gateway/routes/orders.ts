// Order history (🔒): the caller's orders, newest first, and one order with its timeline.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { orderIdParam } from './order-params.ts';

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new HttpError(400, 'invalid_request', 'limit must be a whole number from 1 to 100', [{ field: 'limit', problem: 'out of range' }]);
  return n;
}

export function orderRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/orders', requireUser);
  app.get('/v1/orders', async (c) => {
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && (cursor.length === 0 || cursor.length > 200)) throw new HttpError(400, 'invalid_cursor', 'the cursor is not one this API returned');
    return c.json(await deps.orders.list(userOf(c), limitOf(c.req.query('limit')), cursor));
  });
  app.get('/v1/orders/:orderId', requireUser, async (c) => c.json(await deps.orders.get(userOf(c), orderIdParam(c.req.param('orderId')))));
  return app;
}
