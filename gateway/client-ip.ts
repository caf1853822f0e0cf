// The caller's IP: the socket's peer, or the first X-Forwarded-For hop when the gateway is
// told it sits behind a proxy (trusting that header otherwise would let anyone pick an IP).
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { GatewayEnv } from './env.ts';

export function clientIp(trustProxy: boolean): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    let ip: string | undefined;
    if (trustProxy) ip = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (!ip) {
      try {
        ip = getConnInfo(c).remote.address;
      } catch {
        // Not served by @hono/node-server (app.request() in tests): no socket to ask.
      }
    }
    c.set('clientIp', (ip || 'unknown').slice(0, 64));
    await next();
  };
}
