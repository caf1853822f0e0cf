// The caller's wishlist (🔒).
import { Hono } from 'hono';
import { CartApi } from '../../actors/cart/index.ts';
import { HttpError } from '../errors.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { wishlistBody } from '../schemas.ts';
import { skuParam } from './params.ts';

export function wishlistRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/wishlist', requireUser);
  app.use('/v1/wishlist/*', requireUser);
  app.get('/v1/wishlist', async (c) => c.json(await deps.wishlist.get(userOf(c))));
  app.post('/v1/wishlist/items', async (c) => {
    const input = await body(c, wishlistBody);
    return c.json(await deps.wishlist.add(userOf(c), input.sku));
  });
  app.delete('/v1/wishlist/items/:sku', async (c) => c.json(await deps.wishlist.remove(userOf(c), skuParam(c.req.param('sku')))));
  // Into the cart first (one unit), then out of the wishlist: a failure leaves it wished, never lost.
  const carts = new CartApi(deps.client);
  app.post('/v1/wishlist/items/:sku/move-to-cart', async (c) => {
    const userId = userOf(c);
    const sku = skuParam(c.req.param('sku'));
    if (!(await deps.wishlist.get(userId)).items.some((i) => i.sku === sku)) throw new HttpError(404, 'not_found', `${sku} is not in the wishlist`);
    const cart = await carts.add(userId, sku, 1);
    await deps.wishlist.remove(userId, sku);
    return c.json(cart);
  });
  return app;
}
