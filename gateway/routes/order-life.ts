// The order after payment: the customer's refund (before shipping) and return (within 30
// days of delivery) 🔒, and the admin's ship, deliver and returned 🛠 (each answers with
// the order as it is now). Every transition is the order's own checkout entity's.
import { Hono } from 'hono';
import { CheckoutApi } from '../../actors/checkout/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { shipBody } from '../schemas-commerce.ts';
import { orderIdParam } from './order-params.ts';
import { noBody } from '../body.ts';

export function orderLifeRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const checkout = new CheckoutApi(deps.client);
  app.use('/v1/orders/:orderId/refund', requireUser);
  app.use('/v1/orders/:orderId/return', requireUser);

  app.post('/v1/orders/:orderId/refund', async (c) => {
    const userId = userOf(c);
    await noBody(c);
    const r = await checkout.refund(orderIdParam(c.req.param('orderId')), userId);
    return c.json({ orderId: r.orderId, status: r.status });
  });
  app.post('/v1/orders/:orderId/return', async (c) => {
    const userId = userOf(c);
    await noBody(c);
    const r = await checkout.requestReturn(orderIdParam(c.req.param('orderId')), userId);
    return c.json({ orderId: r.orderId, status: r.status });
  });

  app.post('/v1/admin/orders/:orderId/ship', async (c) => {
    const orderId = orderIdParam(c.req.param('orderId'));
    const input = await body(c, shipBody);
    await checkout.admin(orderId, { op: 'ship', carrier: input.carrier, trackingNumber: input.trackingNumber });
    return c.json(await deps.orders.getAny(orderId));
  });
  for (const op of ['deliver', 'returned'] as const) {
    app.post(`/v1/admin/orders/:orderId/${op}`, async (c) => {
      const orderId = orderIdParam(c.req.param('orderId'));
      await noBody(c);
      await checkout.admin(orderId, { op });
      return c.json(await deps.orders.getAny(orderId));
    });
  }
  return app;
}
