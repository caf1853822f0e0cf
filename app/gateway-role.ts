// The gateway role: the Hono app on Node's HTTP server (through @hono/node-server, the
// homepage's fast path ahead of it), with its services wired to the
// shared connections, and a graceful close.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { answerClientErrors } from '../gateway/client-error.ts';
import { clusterView, type NodeStats } from '../cluster/index.ts';
import { ConnectionState } from '../cluster/index.ts';
import { ClusterWatch } from '../cluster/index.ts';
import { createApp, nodeRequestListener } from '../gateway/index.ts';
import { SessionApi, SessionService } from '../actors/session/index.ts';
import { SessionRepository } from '../stores/mysql/sessions.ts';
import { ClusterSecrets } from '../stores/mysql/secrets.ts';
import { LiveSessions } from '../actors/session/index.ts';
import { UsersService, type MeView } from '../actors/users/index.ts';
import { WishlistService, type WishlistView } from '../actors/wishlist/index.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import { schemaProblem, type SchemaProblem } from '../stores/mysql/index.ts';
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
import { LogisticsAdmin, ZoneResolver, logisticsChangedSubject } from '../actors/logistics/index.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { HomepageApi, HomepageReader, ProductCards, homepageKeys } from '../actors/homepage/index.ts';
import { RedisShopperSignals } from '../actors/analytics/index.ts';
import { GeoIp } from '../stores/geoip/index.ts';
import type { AppContext } from './context.ts';
import { RecommendationCards, personalisation } from './personalisation.ts';
import { CouponRepository } from '../stores/mysql/coupons.ts';
import { ShippingRepository } from '../stores/mysql/shipping.ts';
import { followProductChanges } from '../actors/catalog/index.ts';

export interface RunningGateway {
  url: string;
  /** Its dependencies and the live actor nodes: each "ok" or why not (the ops port's /readyz). */
  readiness(scope?: 'all' | 'own'): Promise<Record<string, string>>;
  /** Stops taking requests and closes; connections still open after `drainMs` are cut. */
  close(drainMs?: number): Promise<void>;
}

/** A database problem as the public /readyz says it. */
function publicDatabaseState(problem: SchemaProblem | undefined): string {
  if (problem === undefined) return 'ok';
  return problem.kind === 'not_migrated' ? 'migrations not applied (npm run migrate)' : 'unavailable';
}

export async function startGateway(ctx: AppContext): Promise<RunningGateway> {
  const { config, log, nc, pool, redis } = ctx;
  const routes = new RouteCache(new LogisticsRepository(pool));
  // Every change to a user's data is announced, so other processes (and later projections) hear it.
  const changes = `${config.cluster}.evt.users.changed`;
  const onChange = (userId: string, what: string) => nc.publish(changes, JSON.stringify({ userId, what, at: Date.now() }));
  const products = new ProductRepository(pool);
  const zones = new ZoneResolver(new LogisticsRepository(pool));
  const unfollowZones = zones.follow(nc, config.cluster);
  // Routes answer delivery estimates here too: an operator's change reaches them at once.
  const routeEdits = nc.subscribe(logisticsChangedSubject(config.cluster), { callback: () => routes.invalidate() });
  const warehouses = new WarehouseRepository(pool);
  const documents = await openDocumentStore({ mongoUrl: config.mongoUrl, pool });
  const catalog = new CatalogApi({
    nc, cluster: config.cluster, client: ctx.client, documents,
    oos: new OutOfStockSet(redis, config.cluster),
    estimates: new DeliveryEstimates(redis, config.cluster),
    logistics: new LogisticsRepository(pool),
    products,
    log: log.child({ part: 'catalog' }),
  });
  const homepage = {
    reader: new HomepageReader({
      redis, nc, cluster: config.cluster, geo: config.geoipDb ? GeoIp.open(config.geoipDb) : GeoIp.open(),
      signals: new RedisShopperSignals(redis, config.cluster), cards: new ProductCards(redis, homepageKeys(config.cluster), new OutOfStockSet(redis, config.cluster).key, config.homepageRefreshMs),
      log: log.child({ part: 'homepage' }), refreshMs: config.homepageRefreshMs, rebuildMinMs: config.homepageRebuildMinMs,
    }),
    api: new HomepageApi(nc, redis, config.cluster),
  };
  const cards = new RecommendationCards(documents);
  const personal = personalisation(ctx, { documents, products, cards, oos: new OutOfStockSet(redis, config.cluster) });
  // Sessions checked locally, dropped when any node announces a logout.
  const liveSessions = new LiveSessions({ nc, cluster: config.cluster });
  await liveSessions.start();
  // Live actor nodes, followed with one KV watch: a gateway with none is not ready.
  const members = await ClusterWatch.keep(nc, config.cluster, config.shards, config.leaseTtlMs, log);
  const liveNodes = () => {
    const up = members.snapshot().members.filter((m) => m.status !== 'Leaving').length;
    return up > 0 ? 'ok' : `no live actor node in cluster "${config.cluster}"`;
  };
  // Set on SIGTERM for HTTP_STOP_GRACE_MS: still serving, but not ready, so a load balancer
  // stops sending new connections before the port closes.
  let stopping = false;
  /** `own`: only what the gateway alone knows (its stop, the live nodes), for a caller that asked the rest. */
  async function readiness(scope: 'all' | 'own' = 'all'): Promise<Record<string, string>> {
    const own = { ...(stopping ? { stopping: 'stopping: finishing requests, closing soon' } : {}), nodes: liveNodes() };
    if (scope === 'own') return own;
    const check = async (f: () => Promise<unknown>) => f().then(() => 'ok', (err: unknown) => String((err as Error).message ?? err));
    return {
      ...own,
      nats: nc.isClosed() ? 'closed' : ConnectionState.of(nc).up ? 'ok' : 'reconnecting',
      redis: await check(() => redis.ping()),
      // Reachable and migrated to this release, as a node's: `SELECT 1` said ok on a database
      // never migrated. Told in general words: this /readyz is on the public port, and the
      // server's own (users, hosts, database names) are for the logs and the nodes' ops ports.
      mariadb: publicDatabaseState(await schemaProblem(pool)),
    };
  }
  // The caller's own sessions: read from the store, ended through their entities.
  const userSessions = new SessionService(new SessionRepository(pool), new SessionApi(ctx.client));
  const app = createApp({
    liveSessions,
    sessions: userSessions,
    client: ctx.client,
    adminToken: config.adminToken,
    secrets: new ClusterSecrets(pool),
    readiness,
    clusterView: () => clusterView(nc, config.cluster, config.shards, config.leaseTtlMs),
    nodeStats: async () => (await clusterView(nc, config.cluster, config.shards, config.leaseTtlMs)).nodeStats as NodeStats[],
    redis,
    keyPrefix: config.cluster,
    users: new UsersService({
      users: new UserRepository(pool),
      sessions: new SessionApi(ctx.client),
      userSessions,
      cache: new ReadThroughCache<MeView>(redis, { prefix: `${config.cluster}:me`, ttlSeconds: config.cacheTtlSec }),
      onChange,
      sessionTtlMs: config.sessionTtlMs,
      clusterOf: (country, region, postalCode) => zones.clusterOf(country, region, postalCode),
    }),
    wishlist: new WishlistService({
      repo: new WishlistRepository(pool),
      products,
      cache: new ReadThroughCache<WishlistView>(redis, { prefix: `${config.cluster}:wishlist`, ttlSeconds: config.cacheTtlSec }),
      onChange,
      onAdded: (userId, sku, category) => personal.clickstream.record({ type: 'wishlist_add', sku, category, userId }),
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
      soldOutGateMs: config.soldOutGateMs,
    },
    benchRoutes: config.benchRoutes,
    logistics: new LogisticsAdmin(new LogisticsRepository(pool), nc, config.cluster),
    zones,
    homepage,
    personalisation: personal,
    corsOrigins: config.corsOrigins,
    orders: new OrderHistory(new OrderRepository(pool), redis, config.cluster, config.cacheTtlSec, orderDelivery((w, c) => routes.days(w, c))),
    coupons: new CouponRepository(pool),
    shippingRates: new ShippingRepository(pool, () => nc.publish(logisticsChangedSubject(config.cluster))),
  }, log);
  // The wishlist's product cache forgets changed and removed products at once.
  const productChanges = followProductChanges(nc, config.cluster, (skus) => {
    products.invalidate(skus);
    cards.forget(skus);
  });
  // A request must arrive whole (headers and body) within the keep-alive time and a second,
  // checked every second. Node's own bound for the body was 300 s, checked every 30 s, and a
  // body that trickled in held a place among MAX_INFLIGHT_HTTP until then (an audit). The
  // headers' bound stays above the keep-alive time, as before: Node starts it when it accepts
  // a connection, and a load balancer's connection opened ahead of its first request must not
  // be cut before the balancer itself gives it up. Time idle on a kept-alive connection
  // counts toward neither. Set here, not after: Node reads them only at construction.
  const requestBoundMs = config.httpKeepAliveMs + 1000;
  const server = createServer({
    requestTimeout: requestBoundMs,
    headersTimeout: requestBoundMs,
    connectionsCheckingInterval: 1000,
  }, nodeRequestListener(app, { hostname: config.host }));
  // Node's 5 s keep-alive timers fire before the requests that arrived meanwhile are read
  // when the process resumes from a stop: a gateway paused 7 s reset all four waiting
  // requests of a test's kept-alive connections.
  server.keepAliveTimeout = config.httpKeepAliveMs;
  answerClientErrors(server);
  // Once stopping, a request that arrives (on a connection kept alive) is answered and its
  // connection closed after it: a client busy on a kept-alive connection never let it go
  // idle, so close() waited for it until the 30 s bound ended the process with code 1 (an
  // ops audit: four keep-alive clients, SIGTERM, 31.9 s). Answers already under way are
  // not tracked: the request after one arrives within the idle grace below and closes its
  // connection so. (Tracking every response cost each request an add and a listener.)
  const closeAfterAnswer = (_req: IncomingMessage, res: ServerResponse) => res.setHeader('Connection', 'close');
  await new Promise<void>((resolve) => server.listen(config.port, config.host, () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    readiness,
    // Stop accepting; every request from now on closes its connection after its answer.
    // Idle connections are closed after `idleGraceMs` and every second after, and what is
    // still open after `drainMs` is cut: longer than a request may rightly take (a keyed
    // retry waits 15 s for its first), inside main's 30 s bound.
    close: async (drainMs = 25_000, idleGraceMs = 1000) => {
      if (config.httpStopGraceMs > 0) {
        stopping = true;
        await new Promise((resolve) => setTimeout(resolve, config.httpStopGraceMs));
      }
      server.prependListener('request', closeAfterAnswer);
      await new Promise<void>((resolve) => {
        // net.Server's close, not http.Server's: that one also drops idle kept-alive
        // connections at once, and a busy client's next request is usually already on its
        // way on one (the ops audit's four ECONNRESETs). Given a moment, each busy
        // connection is answered with Connection: close instead, and ends cleanly.
        NetServer.prototype.close.call(server, () => resolve());
        let sweep: NodeJS.Timeout | undefined;
        const idle = setTimeout(() => {
          server.closeIdleConnections();
          sweep = setInterval(() => server.closeIdleConnections(), 1000);
        }, idleGraceMs);
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.once('close', () => {
          clearTimeout(idle);
          clearInterval(sweep);
          clearTimeout(cut);
        });
      });
      unfollowZones();
      routeEdits.unsubscribe();
      members.stop();
      productChanges.unsubscribe();
      await documents.close();
      liveSessions.stop();
    },
  };
}
