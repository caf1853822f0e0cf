// The user information page, profile and addresses (🔒, always the caller's own).
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { body } from '../validate.ts';
import { addressBody, patchMeBody } from '../schemas.ts';
import { patchAddressBody } from '../schemas-commerce.ts';

export function meRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/me', requireUser);
  app.use('/v1/me/*', requireUser);
  app.get('/v1/me', async (c) => c.json(await deps.users.me(userOf(c))));
  app.patch('/v1/me', async (c) => {
    const input = await body(c, patchMeBody);
    const userId = userOf(c);
    return c.json(input.name === undefined ? await deps.users.me(userId) : await deps.users.rename(userId, input.name));
  });
  app.post('/v1/me/addresses', async (c) => {
    const input = await body(c, addressBody);
    return c.json(await deps.users.addAddress(userOf(c), input), 201);
  });
  app.patch('/v1/me/addresses/:addressId', async (c) => {
    const addressId = c.req.param('addressId');
    if (!/^[A-Za-z0-9]{1,40}$/.test(addressId)) throw new HttpError(404, 'not_found', 'no such address');
    const input = await body(c, patchAddressBody);
    return c.json(await deps.users.updateAddress(userOf(c), addressId, input));
  });
  app.delete('/v1/me/addresses/:addressId', async (c) => {
    const addressId = c.req.param('addressId');
    if (!/^[A-Za-z0-9]{1,40}$/.test(addressId)) throw new HttpError(404, 'not_found', 'no such address');
    await deps.users.deleteAddress(userOf(c), addressId);
    return c.body(null, 204);
  });
  return app;
}
