// Checkout and payment (🔒): each order is a `checkout:<orderId>` saga; the gateway names
// the order and passes the caller, and the saga answers only for the order's own user.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { CheckoutApi, newOrderId } from '../../actors/checkout/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { checkoutBody, payBody } from '../schemas-orders.ts';
import { orderIdParam } from './order-params.ts';

export function checkoutRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const checkout = new CheckoutApi(deps.client);
  app.use('/v1/checkout', requireUser);
  app.use('/v1/orders/:orderId/pay', requireUser);
  app.use('/v1/orders/:orderId/cancel', requireUser);

  app.post('/v1/checkout', async (c) => {
    const input = await body(c, checkoutBody);
    const userId = userOf(c);
    // With an Idempotency-Key the order id is derived from it, so a retry whose first
    // attempt's outcome was lost finds the same order instead of placing a second one.
    const key = c.req.header('idempotency-key');
    const orderId = key ? `o${createHash('sha256').update(`${userId}\n${key}`).digest('hex').slice(0, 30)}` : newOrderId();
    const started = await checkout.start(orderId, {
      userId,
      ...(input.items ? { items: input.items } : {}),
      ...(input.addressId ? { addressId: input.addressId } : {}),
      ...(input.couponCode ? { couponCode: input.couponCode } : {}),
      ...(input.usePoints ? { usePoints: input.usePoints } : {}),
    });
    return c.json(started, 201);
  });

  app.post('/v1/orders/:orderId/pay', async (c) => {
    const orderId = orderIdParam(c.req.param('orderId'));
    const input = await body(c, payBody);
    return c.json(await checkout.pay(orderId, userOf(c), input.paymentMethod.token));
  });

  app.post('/v1/orders/:orderId/cancel', async (c) => {
    return c.json(await checkout.cancel(orderIdParam(c.req.param('orderId')), userOf(c)));
  });
  return app;
}
