// The Hono application: request ids, metrics, load shedding, client IP, per-IP limits,
// body limit, authentication and idempotency in that order, then the routes, and one
// error handler that maps every typed error to API.md's statuses and JSON body.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { GatewayDeps } from './deps.ts';
import type { GatewayEnv } from './env.ts';
import { HttpError, toHttp } from './errors.ts';
import { authenticate } from './auth.ts';
import { clientIp } from './client-ip.ts';
import { idempotency } from './idempotency.ts';
import { createMetrics } from './metrics.ts';
import { BatchedWindowLimiter, RateLimiter } from './rate-limit.ts';
import { inflightBound } from './shedding.ts';
import { healthRoutes } from './routes/health.ts';
import { authRoutes } from './routes/auth.ts';
import { meRoutes } from './routes/me.ts';
import { cartRoutes } from './routes/cart.ts';
import { wishlistRoutes } from './routes/wishlist.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { adminRoutes } from './routes/admin.ts';
import { checkoutRoutes } from './routes/checkout.ts';
import { orderRoutes } from './routes/orders.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { benchHello } from './routes/bench.ts';
import { orderLifeRoutes } from './routes/order-life.ts';
import { commerceAdminRoutes } from './routes/commerce-admin.ts';

export const maxBodyBytes = 1024 * 1024;

/** Operations routes are never rate limited: probes and scrapers must always get through. */
const unlimited = new Set(['/healthz', '/readyz', '/metrics']);

export function createApp(given: GatewayDeps, log: Logger): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const shedder = inflightBound(given.limits.maxInflight);
  const metrics = createMetrics({ nodeStats: given.nodeStats, client: given.client, inflight: shedder.inflight });
  // Routes ask through a client that counts asks per entity type for /metrics.
  const deps: GatewayDeps = { ...given, client: metrics.meter(given.client) };
  const perIp = new BatchedWindowLimiter(new RateLimiter(deps.redis, deps.keyPrefix), 1000);

  // The ceiling of HTTP + Hono for bench:http: before every middleware on purpose.
  if (deps.benchRoutes) app.route('/', benchHello());

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
  });
  app.use('*', metrics.http);
  app.use('*', shedder.middleware);
  app.use('*', clientIp(deps.limits.trustProxy));
  app.use('*', async (c, next) => {
    if (!unlimited.has(c.req.path)) perIp.enforce(`ip:${c.get('clientIp')}`, deps.limits.perIpPerSec, 'requests from this address');
    await next();
  });
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new HttpError(413, 'body_too_large', `the body is over ${maxBodyBytes} bytes`);
    },
  });
  // GET and HEAD carry no body; asking for one makes @hono/node-server build a full fetch
  // Request (with an AbortController) per call, which was a tenth of a read's CPU.
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  app.use('*', authenticate(deps));
  app.use('*', idempotency(deps.redis, deps.keyPrefix, {
    ttlSeconds: deps.limits.idempotencyTtlSec,
    unknownHoldMs: deps.limits.idempotencyUnknownHoldMs ?? 60_000,
    reissue: async (userId, device) => (await deps.users.reissue(userId, device)).token,
  }));

  app.route('/', healthRoutes(deps, metrics.registry));
  app.route('/', authRoutes(deps));
  app.route('/', meRoutes(deps));
  app.route('/', cartRoutes(deps));
  app.route('/', wishlistRoutes(deps));
  app.route('/', inventoryRoutes(deps));
  app.route('/', checkoutRoutes(deps));
  app.route('/', orderRoutes(deps));
  app.route('/', adminRoutes(deps));
  app.route('/', catalogRoutes(deps));
  app.route('/', orderLifeRoutes(deps));
  app.route('/', commerceAdminRoutes(deps));

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    const { status, body, headers } = toHttp(err);
    if (status >= 500) log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'request failed');
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    c.header('X-Request-Id', c.get('requestId'));
    // The rest of an oversized body is not read: tell the client not to reuse this connection.
    if (status === 413) c.header('Connection', 'close');
    return c.json(body, status as 400);
  });
  return app;
}
