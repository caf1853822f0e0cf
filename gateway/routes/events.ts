// The clickstream: POST /v1/events stores one event in the EVENTS stream (202 once
// JetStream has it). The user is the token's; without a token, the X-Device-Id header's.
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { body } from '../validate.ts';
import { clickEventBody, deviceIdPattern } from '../schemas-personalisation.ts';

export function eventRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const p = deps.personalisation;
  app.post('/v1/events', async (c) => {
    const userId = c.get('userId');
    if (!userId && c.req.header('authorization') !== undefined) {
      throw new HttpError(401, 'invalid_token', 'the token is not valid (unknown, expired or logged out); send none to record as a device');
    }
    const deviceId = c.req.header('x-device-id');
    if (!userId) {
      if (deviceId === undefined) throw new HttpError(400, 'device_id_required', 'send a bearer token or an X-Device-Id header');
      if (!deviceIdPattern.test(deviceId)) throw new HttpError(400, 'invalid_device_id', 'X-Device-Id must be 8-64 of A-Za-z0-9_-');
    }
    const input = await body(c, clickEventBody);
    const product = await p.product(input.sku);
    if (!product) throw new HttpError(404, 'unknown_sku', `no product ${input.sku}`, { sku: input.sku });
    const event = await p.clickstream.publish({
      type: input.type, sku: input.sku, category: product.category,
      ...(input.query !== undefined ? { query: input.query } : {}),
      ...(userId ? { userId } : { deviceId: deviceId! }),
    });
    return c.json({ id: event.id }, 202);
  });
  return app;
}
