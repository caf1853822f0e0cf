// The caller's cart (🔒): every call goes to the `cart:<userId>` entity, which is the
// cart's only writer; a user can only ever address their own.
import { Hono, type Context } from 'hono';
import { CartApi } from '../../actors/cart/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { addCartItemBody, setCartItemBody } from '../schemas.ts';
import { skuParam } from './params.ts';

export function cartRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const carts = new CartApi(deps.client);
  app.use('/v1/cart', requireUser);
  app.use('/v1/cart/*', requireUser);
  // The entity's answer is forwarded as the JSON text it arrives as (askJson): not parsed
  // here to be encoded again.
  const cart = carts.asJson;
  app.get('/v1/cart', async (c) => asJson(c, await cart.get(userOf(c))));
  app.post('/v1/cart/items', async (c) => {
    const input = await body(c, addCartItemBody);
    return asJson(c, await cart.add(userOf(c), input.sku, input.qty));
  });
  app.patch('/v1/cart/items/:sku', async (c) => {
    const sku = skuParam(c.req.param('sku'));
    const input = await body(c, setCartItemBody);
    return asJson(c, await cart.setQty(userOf(c), sku, input.qty));
  });
  app.delete('/v1/cart/items/:sku', async (c) => asJson(c, await cart.remove(userOf(c), skuParam(c.req.param('sku')))));
  app.delete('/v1/cart', async (c) => asJson(c, await cart.clear(userOf(c))));
  return app;
}

/** A 200 with JSON text as its body, as c.json would send it. */
function asJson(c: Context<GatewayEnv>, text: string): Response {
  return c.body(text, 200, { 'Content-Type': 'application/json' });
}
