// Order history (🔒): the caller's orders, newest first, and one order with its timeline.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { pageParams } from '../paging.ts';
import { orderIdParam } from './order-params.ts';
import { decodeOrderCursor } from '../../actors/checkout/history.ts';

export function orderRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/orders', requireUser);
  app.get('/v1/orders', async (c) => {
    const userId = userOf(c);
    // Read here too, so a bad cursor is refused before the list is, with its field named.
    const { limit, cursor } = pageParams(c.req.query(), (given) => decodeOrderCursor(given, userId));
    return c.json(await deps.orders.list(userId, limit, cursor));
  });
  app.get('/v1/orders/:orderId', requireUser, async (c) => c.json(await deps.orders.get(userOf(c), orderIdParam(c.req.param('orderId')))));
  return app;
}
