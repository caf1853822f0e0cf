// Checkout and payment (🔒): each order is a `checkout:<orderId>` saga; the gateway names
// the order and passes the caller, and the saga answers only for the order's own user.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { Counter, type Registry } from 'prom-client';
import { CheckoutApi, newOrderId } from '../../actors/checkout/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { checkoutBody, payBody } from '../schemas-orders.ts';
import { orderIdParam } from './order-params.ts';
import { SoldOutGate } from '../sold-out-gate.ts';

export function checkoutRoutes(deps: GatewayDeps, registry: Registry): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const checkout = new CheckoutApi(deps.client);
  const gate = new SoldOutGate(deps.limits.soldOutGateMs ?? 0);
  new Counter({
    name: 'shop_checkout_sold_out_refusals_total', help: 'Buy-now checkouts this gateway refused itself, their SKU just found sold out (SOLD_OUT_GATE_MS)', registers: [registry],
    collect() {
      this.reset();
      this.inc(gate.refused);
    },
  });
  app.use('/v1/checkout', requireUser);
  app.use('/v1/orders/:orderId/pay', requireUser);
  app.use('/v1/orders/:orderId/cancel', requireUser);

  app.post('/v1/checkout', async (c) => {
    const input = await body(c, checkoutBody);
    const userId = userOf(c);
    // With an Idempotency-Key the order id is derived from it, so a retry whose first
    // attempt's outcome was lost finds the same order instead of placing a second one.
    const key = c.req.header('idempotency-key');
    // Buy-now only (a cart's lines are not known here); never with a key (see sold-out-gate.ts).
    const gated = input.items && !key;
    const refusal = gated ? gate.check(input.items!) : undefined;
    if (refusal) throw refusal;
    const orderId = key ? `o${createHash('sha256').update(`${userId}\n${key}`).digest('hex').slice(0, 30)}` : newOrderId();
    try {
      const started = await checkout.start(orderId, {
        userId,
        ...(input.items ? { items: input.items } : {}),
        ...(input.addressId ? { addressId: input.addressId } : {}),
        ...(input.couponCode ? { couponCode: input.couponCode } : {}),
        ...(input.usePoints ? { usePoints: input.usePoints } : {}),
        // A minted id names nothing stored yet: the order's entity may skip its claim's read.
        ...(key ? {} : { fresh: true }),
      });
      return c.json(started, 201);
    } catch (err) {
      gate.learn(err);
      throw err;
    }
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
