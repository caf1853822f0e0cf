// Admin commerce settings 🛠: coupons (percent or amount off, expiry, redemption limit,
// optionally one user), shipping rates per delivery cluster and weight class, and taking a
// product off sale.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { body } from '../validate.ts';
import { couponBody, shippingRatesBody } from '../schemas-commerce.ts';
import { CouponExistsError, codeKey } from '../../stores/mysql/coupons.ts';
import { skuParam } from './params.ts';
import { welcomeCouponCode } from '../../actors/users/index.ts';

export function commerceAdminRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post('/v1/admin/coupons', async (c) => {
    const input = await body(c, couponBody);
    if ((input.discountPercent == null) === (input.amountOff == null)) {
      throw new HttpError(422, 'validation_failed', 'give exactly one of discountPercent and amountOff', [{ field: 'discountPercent', problem: 'exactly one of discountPercent, amountOff' }]);
    }
    if (input.currency != null && input.amountOff == null) {
      throw new HttpError(422, 'validation_failed', 'currency goes with amountOff: a percent off has none', [{ field: 'currency', problem: 'only with amountOff' }]);
    }
    const expiresAt = Date.parse(input.expiresAt);
    if (expiresAt <= Date.now()) throw new HttpError(422, 'validation_failed', 'expiresAt is in the past', [{ field: 'expiresAt', problem: 'must be in the future' }]);
    // Codes compare without case (the table's collation), so WELCOME10 in any case is refused.
    if (codeKey(input.code) === welcomeCouponCode) throw new HttpError(409, 'coupon_exists', `${input.code} is the welcome coupon every new account holds`);
    if (input.userId != null && !(await deps.users.exists(input.userId))) {
      throw new HttpError(422, 'unknown_user', `no user ${input.userId}`, [{ field: 'userId', problem: 'no such user' }]);
    }
    const coupon = {
      code: input.code, discountPercent: input.discountPercent ?? null, amountOff: input.amountOff ?? null, currency: input.currency ?? null, expiresAt,
      maxRedemptions: input.maxRedemptions, userId: input.userId ?? null, oncePerUser: input.oncePerUser ?? false,
    };
    try {
      await deps.coupons.create(coupon);
    } catch (err) {
      if (err instanceof CouponExistsError) throw new HttpError(409, 'coupon_exists', `a coupon with code ${input.code} exists`);
      throw err;
    }
    // A coupon for one user shows on their page at once.
    if (coupon.userId) await deps.users.invalidate(coupon.userId);
    return c.json({ ...coupon, expiresAt: new Date(expiresAt).toISOString(), redeemed: 0 }, 201);
  });

  app.get('/v1/admin/shipping-rates', async (c) => c.json({ items: await deps.shippingRates.all() }));
  app.put('/v1/admin/shipping-rates/:clusterId', async (c) => {
    const clusterId = c.req.param('clusterId');
    if (!/^(\*|[A-Za-z0-9_-]{1,64})$/.test(clusterId)) throw new HttpError(400, 'invalid_request', 'clusterId must be a delivery cluster id or *');
    const input = await body(c, shippingRatesBody);
    // A rate for a cluster that does not exist had been stored (200) and never charged: a
    // misspelt "esat" left east at the default rate without a word. A route is refused the same way.
    if (clusterId !== '*' && !(await deps.logistics.hasCluster(clusterId))) {
      throw new HttpError(422, 'unknown_cluster', `no delivery cluster ${clusterId}; create it first (PUT /v1/admin/logistics/clusters/${clusterId})`, [{ field: 'clusterId', problem: 'no such delivery cluster' }]);
    }
    await deps.shippingRates.put(clusterId, input.rates);
    return c.json({ items: (await deps.shippingRates.all()).filter((r) => r.clusterId === clusterId) });
  });

  app.delete('/v1/admin/products/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    if (!(await deps.catalog.remove(sku))) throw new HttpError(404, 'not_found', `no product ${sku}`);
    return c.body(null, 204);
  });
  return app;
}
