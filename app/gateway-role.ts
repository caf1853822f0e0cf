// The gateway role: the Hono app on @hono/node-server, with its services wired to the
// shared connections, and a graceful close.
import { serve, type ServerType } from '@hono/node-server';
import { clusterView, type NodeStats } from '../cluster/index.ts';
import { ConnectionState } from '../cluster/index.ts';
import { createApp } from '../gateway/index.ts';
import { SessionApi } from '../actors/session/index.ts';
import { LiveSessions } from '../actors/session/index.ts';
import { UsersService, type MeView } from '../actors/users/index.ts';
import { WishlistService, type WishlistView } from '../actors/wishlist/index.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { UserRepository } from '../stores/mysql/users.ts';
import { WarehouseRepository } from '../stores/mysql/warehouses.ts';
import { WishlistRepository } from '../stores/mysql/wishlists.ts';
import { CatalogApi, OutOfStockSet } from '../actors/catalog/index.ts';
import { DeliveryEstimates } from '../actors/logistics/index.ts';
import { openDocumentStore } from '../stores/documents/index.ts';
import { LogisticsRepository } from '../stores/mysql/logistics.ts';
import { OrderHistory, orderDelivery } from '../actors/checkout/index.ts';
import { RouteCache } from '../actors/logistics/index.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import type { AppContext } from './context.ts';
import { CouponRepository } from '../stores/mysql/coupons.ts';
import { ShippingRepository } from '../stores/mysql/shipping.ts';
import { followProductChanges } from '../actors/catalog/index.ts';

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

export async function startGateway(ctx: AppContext): Promise<RunningGateway> {
  const { config, log, nc, pool, redis } = ctx;
  const routes = new RouteCache(new LogisticsRepository(pool));
  // Every change to a user's data is announced, so other processes (and later projections) hear it.
  const changes = `${config.cluster}.evt.users.changed`;
  const onChange = (userId: string, what: string) => nc.publish(changes, JSON.stringify({ userId, what, at: Date.now() }));
  const products = new ProductRepository(pool);
  const warehouses = new WarehouseRepository(pool);
  const documents = await openDocumentStore({ mongoUrl: config.mongoUrl, pool });
  const catalog = new CatalogApi({
    nc, cluster: config.cluster, client: ctx.client, documents,
    oos: new OutOfStockSet(redis, config.cluster),
    estimates: new DeliveryEstimates(redis, config.cluster),
    logistics: new LogisticsRepository(pool),
    log: log.child({ part: 'catalog' }),
  });
  // Sessions checked locally, dropped when any node announces a logout.
  const liveSessions = new LiveSessions({ nc, cluster: config.cluster });
  await liveSessions.start();
  const app = createApp({
    liveSessions,
    client: ctx.client,
    adminToken: config.adminToken,
    async readiness() {
      const check = async (f: () => Promise<unknown>) => f().then(() => 'ok', (err: unknown) => String((err as Error).message ?? err));
      return {
        nats: nc.isClosed() ? 'closed' : ConnectionState.of(nc).up ? 'ok' : 'reconnecting',
        redis: await check(() => redis.ping()),
        mariadb: await check(() => pool.query('SELECT 1')),
      };
    },
    clusterView: () => clusterView(nc, config.cluster, config.shards, config.leaseTtlMs),
    nodeStats: async () => (await clusterView(nc, config.cluster, config.shards, config.leaseTtlMs)).nodeStats as NodeStats[],
    redis,
    keyPrefix: config.cluster,
    users: new UsersService({
      users: new UserRepository(pool),
      sessions: new SessionApi(ctx.client),
      cache: new ReadThroughCache<MeView>(redis, { prefix: `${config.cluster}:me`, ttlSeconds: config.cacheTtlSec }),
      onChange,
      sessionTtlMs: config.sessionTtlMs,
    }),
    wishlist: new WishlistService({
      repo: new WishlistRepository(pool),
      products,
      cache: new ReadThroughCache<WishlistView>(redis, { prefix: `${config.cluster}:wishlist`, ttlSeconds: config.cacheTtlSec }),
      onChange,
    }),
    catalog,
    unknownWarehouses: (ids) => warehouses.unknown(ids),
    limits: {
      authPerMin: config.rateLimitAuthPerMin,
      loginFailuresPerMin: config.loginFailuresPerMin,
      perIpPerSec: config.rateLimitPerSec,
      maxInflight: config.maxInflightHttp,
      idempotencyTtlSec: config.idempotencyTtlSec,
      trustProxy: config.trustProxy,
      idempotencyUnknownHoldMs: config.idempotencyUnknownHoldMs,
    },
    benchRoutes: config.benchRoutes,
    orders: new OrderHistory(new OrderRepository(pool), redis, config.cluster, config.cacheTtlSec, orderDelivery((w, c) => routes.days(w, c))),
    coupons: new CouponRepository(pool),
    shippingRates: new ShippingRepository(pool),
  }, log);
  // The wishlist's product cache forgets changed and removed products at once.
  const productChanges = followProductChanges(nc, config.cluster, (skus) => products.invalidate(skus));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    // Stop accepting, let requests in progress finish; idle keep-alive sockets are closed so
    // close() does not wait for clients that will never send again.
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      productChanges.unsubscribe();
      await documents.close();
      liveSessions.stop();
    },
  };
}
