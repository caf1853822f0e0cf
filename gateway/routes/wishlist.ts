// The caller's wishlist (🔒).
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { CartApi } from '../../actors/cart/index.ts';
import { HttpError } from '../errors.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { wishlistBody } from '../schemas.ts';
import { skuParam } from './params.ts';
import { noBody } from '../body.ts';

export function wishlistRoutes(deps: GatewayDeps, log: Logger): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/wishlist', requireUser);
  app.use('/v1/wishlist/*', requireUser);
  app.get('/v1/wishlist', async (c) => c.json(await deps.wishlist.get(userOf(c))));
  app.post('/v1/wishlist/items', async (c) => {
    const input = await body(c, wishlistBody);
    return c.json(await deps.wishlist.add(userOf(c), input.sku));
  });
  app.delete('/v1/wishlist/items/:sku', async (c) => c.json(await deps.wishlist.remove(userOf(c), skuParam(c.req.param('sku')))));
  // Out of the wishlist first, then one unit into the cart: of concurrent moves of one item
  // (a double click) only the one that took it adds a unit; adding first, each had added
  // one (10 parallel moves made qty 10). A failed add puts it back in the wishlist.
  const carts = new CartApi(deps.client);
  app.post('/v1/wishlist/items/:sku/move-to-cart', async (c) => {
    const userId = userOf(c);
    const sku = skuParam(c.req.param('sku'));
    await noBody(c);
    const move = await deps.wishlist.take(userId, sku);
    if (!move.taken) throw new HttpError(404, 'not_found', `${sku} is not in the wishlist`);
    try {
      return c.json(await carts.add(userId, sku, 1));
    } catch (err) {
      await move.giveBack().catch((e: unknown) => log.warn({ err: String(e), sku }, 'a wishlist item whose move to the cart failed could not be put back'));
      throw err;
    }
  });
  return app;
}
