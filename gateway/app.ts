// The Hono application: request ids, metrics, load shedding, client IP, per-IP limits,
// body limit, authentication and idempotency in that order, then the routes, and one
// error handler that maps every typed error to API.md's statuses and JSON body.
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayDeps } from './deps.ts';
import type { GatewayEnv } from './env.ts';
import { HttpError, toHttp } from './errors.ts';
import { maxBodyBytes } from './body.ts';
import { authenticate, requireAdmin } from './auth.ts';
import { clientIp, limitedAs } from './client-ip.ts';
import { idempotency } from './idempotency.ts';
import { createMetrics } from './metrics.ts';
import { BatchedWindowLimiter, RateLimiter, rateLimitHeaders, refusalHeaders, refusedLeft } from './rate-limit.ts';
import { inflightBound } from './shedding.ts';
import { healthRoutes } from './routes/health.ts';
import { authRoutes } from './routes/auth.ts';
import { meRoutes } from './routes/me.ts';
import { meSessionRoutes } from './routes/me-sessions.ts';
import { cartRoutes } from './routes/cart.ts';
import { wishlistRoutes } from './routes/wishlist.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { adminRoutes } from './routes/admin.ts';
import { checkoutRoutes } from './routes/checkout.ts';
import { orderRoutes } from './routes/orders.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { benchHello } from './routes/bench.ts';
import { logisticsAdminRoutes } from './routes/logistics-admin.ts';
import { docsRoutes } from './routes/docs.ts';
import { homepageRoutes, servedCounter } from './routes/homepage.ts';
import { fastHomepage } from './routes/homepage-fast.ts';
import { fastCart } from './routes/cart-fast.ts';
import { fastOrders } from './routes/order-fast.ts';
import { OrderTaking } from './order-taking.ts';
import { eventRoutes } from './routes/events.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { recommendationRoutes } from './routes/recommendations.ts';
import { storeNotFound, wantsStorePage, webRoutes } from '../web/index.ts';
import { corsFor } from './cors.ts';
import { representation } from './representation.ts';
import { orderLifeRoutes } from './routes/order-life.ts';
import { commerceAdminRoutes } from './routes/commerce-admin.ts';
import { requestIdOf } from './request-id.ts';

export { maxBodyBytes } from './body.ts';

/** Oversized bodies up to this size are drained after a 413 instead of cutting the connection. */
const lingeringBodyBytes = 8 * 1024 * 1024;

/** Operations routes are never rate limited: probes and scrapers must always get through. */
const unlimited = new Set(['/healthz', '/readyz', '/metrics']);

/** Paths answered ahead of Hono when served by Node's own server (nodeRequestListener). */
const fastListeners = new WeakMap<Hono<GatewayEnv>, (fallback: RequestListener) => RequestListener>();

/**
 * The app as Node's request listener: the fast paths of the homepage and the cart first
 * (they answer without a fetch Request, Hono context or Response), then Hono through
 * @hono/node-server.
 */
export function nodeRequestListener(app: Hono<GatewayEnv>, opts: { hostname?: string } = {}): RequestListener {
  const hono = getRequestListener(app.fetch, opts) as RequestListener;
  return fastListeners.get(app)?.(hono) ?? hono;
}

/** The live-session cache as /metrics shows it: answers from it, asks past it, and whether it may answer now. */
function sessionCacheMetrics(registry: Registry, sessions: NonNullable<GatewayDeps['liveSessions']>): void {
  new Gauge({ name: 'shop_session_cache_hits', help: 'Token checks this gateway answered from its live-session cache, since start', registers: [registry], collect() { this.set(sessions.stats().hits); } });
  new Gauge({ name: 'shop_session_cache_asks', help: 'Token checks this gateway asked a session entity for, since start', registers: [registry], collect() { this.set(sessions.stats().asks); } });
  new Gauge({
    name: 'shop_session_cache_trusted', help: '1 while a probe through NATS sent within the last 100 ms came back (the cache may answer), else 0',
    registers: [registry], collect() { this.set(sessions.stats().trusted ? 1 : 0); },
  });
}

function fastLaneCounter(registry: Registry): Counter<'route'> {
  return new Counter({ name: 'shop_http_fast_lane_total', help: 'Requests answered ahead of the middleware chain (same answers, less work), by route', labelNames: ['route'], registers: [registry] });
}

export function createApp(given: GatewayDeps, log: Logger): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const shedder = inflightBound(given.limits.maxInflight);
  const metrics = createMetrics({ client: given.client, inflight: shedder.inflight });
  // Routes ask through a client that counts asks per entity type for /metrics.
  const deps: GatewayDeps = { ...given, client: metrics.meter(given.client) };
  const perIp = new BatchedWindowLimiter(new RateLimiter(deps.redis, deps.keyPrefix), 1000);
  if (deps.liveSessions) sessionCacheMetrics(metrics.registry, deps.liveSessions);

  // The ceiling of HTTP + Hono for bench:http: before every middleware on purpose.
  if (deps.benchRoutes) app.route('/', benchHello());
  // The homepage answers from memory ahead of the chain (it keeps the request id, the
  // per-IP limit, metrics, ETag and compression, and takes a token only when the live-session
  // cache vouches for it); anything else falls through.
  const homepageServed = servedCounter(metrics.registry);
  const corsConfigured = (deps.corsOrigins ?? []).length > 0;
  const homepage = fastHomepage(deps, { limiter: perIp, shedder, served: homepageServed, observe: metrics.observe, corsConfigured, log });
  // The cart's read and add, and placing and paying an order, likewise when the
  // live-session cache vouches for the token.
  const laneOptions = { limiter: perIp, shedder, served: fastLaneCounter(metrics.registry), observe: metrics.observe, corsConfigured, log };
  const orders = new OrderTaking(deps.client, deps.limits.soldOutGateMs ?? 0);
  const cart = fastCart(deps, laneOptions);
  const orderLane = fastOrders(deps, laneOptions, orders);
  fastListeners.set(app, (fallback) => homepage.listener(cart.listener(orderLane.listener(fallback))));

  app.use('*', async (c, next) => {
    const requestId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
  });
  // An answer to a signed-in request is that user's (a cart, an order, an address), and a
  // signup's or login's carries a token: no cache, the browser's own included, may keep
  // it. A route that says otherwise (the homepage: private, revalidated) keeps its say.
  app.use('*', async (c, next) => {
    await next();
    if (c.res.headers.has('Cache-Control')) return;
    if (c.req.header('authorization') !== undefined || c.req.path.startsWith('/v1/auth/')) c.header('Cache-Control', 'no-store');
  });
  const cors = corsFor(deps.corsOrigins ?? []);
  if (cors) app.use('*', cors);
  app.use('*', metrics.http);
  app.use('*', representation());
  app.use('*', shedder.middleware);
  app.use('*', clientIp(deps.limits.trustProxy));
  const setRateLimitHeaders = (c: Context<GatewayEnv>, left: { remaining: number; resetSeconds: number }) => {
    for (const [k, v] of Object.entries(rateLimitHeaders(deps.limits.perIpPerSec, left))) c.header(k, v);
  };
  app.use('*', async (c, next) => {
    if (!unlimited.has(c.req.path)) {
      try {
        setRateLimitHeaders(c, perIp.enforce(`ip:${limitedAs(c.get('clientIp'))}`, deps.limits.perIpPerSec, 'requests from this address'));
      } catch (err) {
        if (err instanceof HttpError && err.status === 429) setRateLimitHeaders(c, refusedLeft(err));
        throw err;
      }
    }
    await next();
  });
  // The body limit: a declared Content-Length over it is refused here, before any route;
  // a chunked body is counted as it is read (gateway/body.ts rawBody), never buffered past it.
  app.use('*', (c, next) => {
    if (Number(c.req.header('content-length') ?? 0) > maxBodyBytes) throw new HttpError(413, 'body_too_large', `the body is over ${maxBodyBytes} bytes`);
    return next();
  });
  app.use('*', authenticate(deps));
  // Every 🛠 route's one admin check, with its limit on wrong tokens, before any key is
  // claimed (the idempotency middleware relies on it): a right token
  // past the limit had claimed the request's key before its 429, and a second request with
  // that key then told it right from wrong (422 idempotency_key_reused against a 429).
  app.use('/v1/admin/*', requireAdmin(deps));
  const secrets = deps.secrets;
  app.use('*', idempotency(deps.redis, deps.keyPrefix, {
    ttlSeconds: deps.limits.idempotencyTtlSec,
    unknownHoldMs: deps.limits.idempotencyUnknownHoldMs ?? 60_000,
    reissue: async (userId, device) => (await deps.users.reissue(userId, device)).token,
    log,
    keyless: new Set(['/v1/auth/logout']),
    ...(secrets ? { fingerprintKey: () => secrets.get('idempotency_fingerprint') } : {}),
  }));

  app.route('/', healthRoutes(deps, metrics.registry));
  app.route('/', authRoutes(deps));
  app.route('/', meRoutes(deps));
  app.route('/', meSessionRoutes(deps));
  app.route('/', cartRoutes(deps));
  app.route('/', wishlistRoutes(deps, log));
  app.route('/', inventoryRoutes(deps));
  app.route('/', checkoutRoutes(metrics.registry, orders));
  app.route('/', orderRoutes(deps));
  app.route('/', adminRoutes(deps));
  app.route('/', catalogRoutes(deps));
  app.route('/', logisticsAdminRoutes(deps));
  app.route('/', docsRoutes());
  app.route('/', homepageRoutes(deps, metrics.registry, homepageServed));
  app.route('/', eventRoutes(deps));
  app.route('/', analyticsRoutes(deps));
  app.route('/', recommendationRoutes(deps));
  app.route('/', webRoutes());
  app.route('/', orderLifeRoutes(deps));
  app.route('/', commerceAdminRoutes(deps));

  // A path the API has, asked with a method it does not answer there: 405 with Allow, not
  // the 404 of a path it does not have.
  const allowedAt = methodsByPath(app);
  app.notFound(async (c) => {
    const allowed = allowedAt(c.req.path);
    // A pattern read too wide must not turn a 404 of an allowed method into a 405.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header('Allow', allowed.join(', '));
      return c.json({ error: { code: 'method_not_allowed', message: `${c.req.path} answers ${allowed.join(', ')}, not ${c.req.method}`, details: { allowed }, requestId: c.get('requestId') } }, 405);
    }
    // A browser asking for a page the shop does not have gets the store's page saying so;
    // the answer depends on Accept, which a shared cache must know. Where the page cannot be
    // built (the web assets missing), the JSON 404 below, never a 500.
    c.header('Vary', 'Accept', { append: true });
    if (wantsStorePage(c)) {
      const page = await storeNotFound(c).catch((err: unknown) => {
        log.warn({ err: String(err), path: c.req.path }, 'the store\'s not-found page could not be built; answering JSON');
        return undefined;
      });
      if (page) return page;
    }
    return c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}`, details: null, requestId: c.get('requestId') } }, 404);
  });
  app.onError((err, c) => {
    const { status, body, headers } = toHttp(err);
    // The same id as the X-Request-Id header, for a client that only keeps the body.
    body.error.requestId = c.get('requestId');
    if (status >= 500) log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'request failed');
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    // A 429 of a route's own limit (logins, signups) describes that limit, not the per-IP
    // one the headers held so far: they said 1,999 left next to a Retry-After of 58 s.
    const refusal = err instanceof HttpError ? refusalHeaders(err) : undefined;
    if (refusal) for (const [k, v] of Object.entries(refusal)) c.header(k, v);
    c.header('X-Request-Id', c.get('requestId'));
    // An oversized body up to a few MiB is left for Node to read and discard after the
    // answer, so a client still uploading reads the 413 instead of a broken pipe; past that
    // the connection is closed rather than spending the bandwidth.
    if (status === 413 && Number(c.req.header('content-length') ?? Infinity) > lingeringBodyBytes) c.header('Connection', 'close');
    return c.json(body, status as 400);
  });
  return app;
}

/**
 * The methods the app's routes answer at a path (middleware, registered for every method,
 * left out), read from its route table on first use, when every route is in it.
 */
function methodsByPath(app: Hono<GatewayEnv>): (path: string) => string[] {
  let routes: { method: string; pattern: RegExp }[] | undefined;
  return (path) => {
    routes ??= app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, pattern: pathPattern(r.path) }));
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** A Hono route path as a RegExp: `:name` one segment, `:name{re}` what `re` matches, `:name?` optional, `*` anything. */
function pathPattern(path: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = path.split('/').map((part, i) => {
    const param = /^:[A-Za-z0-9_]+(\{(.+)\})?(\?)?$/.exec(part);
    const slash = i === 0 ? '' : '/';
    if (param) return param[3] ? `(?:${slash}${param[2] ? `(?:${param[2]})` : '[^/]+'})?` : `${slash}${param[2] ? `(?:${param[2]})` : '[^/]+'}`;
    return part === '*' ? `${slash}.*` : `${slash}${escape(part)}`;
  }).join('');
  return new RegExp(`^${source}$`);
}
