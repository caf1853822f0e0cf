// Checkout and payment (🔒): each order is a `checkout:<orderId>` saga; the gateway names
// the order and passes the caller, and the saga answers only for the order's own user.
// What placing and paying do is in order-taking.ts, shared with the fast lane.
import { Hono } from 'hono';
import { Counter, type Registry } from 'prom-client';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body, optionalBody } from '../validate.ts';
import { checkoutBody, payBody } from '../schemas-orders.ts';
import { orderIdParam } from './order-params.ts';
import type { OrderTaking } from '../order-taking.ts';
import { noBody } from '../body.ts';

export function checkoutRoutes(registry: Registry, orders: OrderTaking): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  new Counter({
    name: 'shop_checkout_sold_out_refusals_total', help: 'Buy-now checkouts this gateway refused itself, their SKU just found sold out (SOLD_OUT_GATE_MS)', registers: [registry],
    collect() {
      this.reset();
      this.inc(orders.gate.refused);
    },
  });
  app.use('/v1/checkout', requireUser);
  app.use('/v1/orders/:orderId/pay', requireUser);
  app.use('/v1/orders/:orderId/cancel', requireUser);

  app.post('/v1/checkout', async (c) => {
    // Every field is optional ("no items: the cart"): a checkout sent with no body is one.
    const input = await optionalBody(c, checkoutBody);
    return c.json(await orders.place(userOf(c), input, c.req.header('idempotency-key')), 201);
  });

  app.post('/v1/orders/:orderId/pay', async (c) => {
    const orderId = orderIdParam(c.req.param('orderId'));
    const input = await body(c, payBody);
    return c.json(await orders.pay(orderId, userOf(c), input));
  });

  app.post('/v1/orders/:orderId/cancel', async (c) => {
    const userId = userOf(c);
    await noBody(c);
    return c.json(await orders.cancel(orderIdParam(c.req.param('orderId')), userId));
  });
  return app;
}
