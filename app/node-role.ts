// The actor-node role: registers every entity type and cluster singleton, joins the cluster.
import { ClusterNode, orAfter, type MemberDatabase } from '../cluster/index.ts';
import { ConnectionState } from '../cluster/index.ts';
import { expirySweeper, inventoryEntity } from '../actors/inventory/index.ts';
import { ensureStream, inventoryStream, searchStream, ordersStream, OutboxRelay, OutboxRetention, streamPublisher } from '../stores/events/index.ts';
import { catalogStream } from '../stores/events/index.ts';
import { InventoryRepository } from '../stores/mysql/inventory.ts';
import { sessionEntity } from '../actors/session/index.ts';
import { announceRevoked, revocationTrustMs } from '../actors/session/index.ts';
import { cartEntity } from '../actors/cart/index.ts';
import { SessionRepository } from '../stores/mysql/sessions.ts';
import { CartRepository } from '../stores/mysql/carts.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { OutOfStockSet, itemService, sharedIndexer, outOfStockProjection, serveSearch, startIndexer } from '../actors/catalog/index.ts';
import { PopularityMirror, ShopperFilter, popularityJob } from '../actors/catalog/index.ts';
import { DeliveryEstimates, deliveryEstimator, logisticsChangedSubject } from '../actors/logistics/index.ts';
import { openDocumentStore } from '../stores/documents/index.ts';
import { openSearchIndex } from '../stores/search/index.ts';
import { LogisticsRepository } from '../stores/mysql/logistics.ts';
import { checkoutEntity, checkoutSweeper, OrderHistory } from '../actors/checkout/index.ts';
import { SimulatedCardProcessor } from '../actors/payment/index.ts';
import { InventoryApi } from '../actors/inventory/index.ts';
import { CartApi } from '../actors/cart/index.ts';
import { OrderRepository } from '../stores/mysql/orders.ts';
import { UserRepository } from '../stores/mysql/users.ts';
import { createPool, retentionSingleton } from '../stores/mysql/index.ts';
import { Journal } from '../stores/mysql/index.ts';
import { RouteCache } from '../actors/logistics/index.ts';
import { homepageBuilder } from '../actors/homepage/index.ts';
import { RedisShopperSignals } from '../actors/analytics/index.ts';
import { nodeSettings } from './node-options.ts';
import { announceProductChanges, followProductChanges } from '../actors/catalog/index.ts';
import { CouponRepository } from '../stores/mysql/coupons.ts';
import { ShippingRateTable, ShippingRepository } from '../stores/mysql/shipping.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import type { AppContext } from './context.ts';
import { analyticsJobs } from '../actors/analytics/index.ts';
import { recommendationsTrainer } from '../actors/recommendations/index.ts';
import { journalCounters, outboxPurgedCounter, poolGauge } from './ops.ts';

const dedupWindowMs = 24 * 3600_000;

export async function startNode(ctx: AppContext, database?: MemberDatabase): Promise<ClusterNode> {
  const { config, log, nc, pool, client, redis } = ctx;
  // Catalog: product documents, this node's search index (replayed from CATALOG) and the
  // search service over it; the out-of-stock set and delivery estimates are singletons.
  const documents = await openDocumentStore({ mongoUrl: config.mongoUrl, pool });
  const searchIndex = await openSearchIndex({ elasticsearchUrl: config.elasticsearchUrl, cluster: config.cluster });
  const oos = new OutOfStockSet(redis, config.cluster);
  const estimates = new DeliveryEstimates(redis, config.cluster);
  const catalogLog = log.child({ part: 'catalog' });
  // An embedded index is per node (replayed here); a shared Elasticsearch index is fed once
  // for the cluster by the sharedIndexer singleton below.
  const indexer = config.elasticsearchUrl ? undefined : await startIndexer({ nc, cluster: config.cluster, index: searchIndex, log: catalogLog });
  await ensureStream(await nc.jetstreamManager(), searchStream(config.cluster));
  const stopSearch = serveSearch({
    nc, cluster: config.cluster, index: searchIndex, oos, estimates, log: catalogLog,
    filter: new ShopperFilter(redis, oos, estimates), popularity: new PopularityMirror(redis, config.cluster),
  });
  const stream = inventoryStream(config.cluster);
  await ensureStream(await nc.jetstreamManager(), stream);
  const relay = new OutboxRelay(pool, streamPublisher(nc), log.child({ job: 'outbox-relay' }));
  const outboxRetention = config.outboxRetentionHours > 0
    ? new OutboxRetention({ pool, keepMs: config.outboxRetentionHours * 3600_000, log: log.child({ job: 'outbox-retention' }) })
    : undefined;
  if (outboxRetention) outboxPurgedCounter(outboxRetention);
  // Inventory commits get connections of their own: a hot SKU's group commit must never
  // queue behind other traffic for a connection (it held every reservation of a sale up).
  const inventoryPool = createPool(config.mysqlUrl, { connectionLimit: 8, queryTimeoutMs: config.mysqlQueryTimeoutMs });
  poolGauge(inventoryPool, 'inventory');
  const repo = new InventoryRepository(inventoryPool, dedupWindowMs, config.inventoryKeepFinishedMs);
  const orderEvents = ordersStream(config.cluster);
  await ensureStream(await nc.jetstreamManager(), orderEvents);
  // A NATS server restarted without its storage comes back with no streams: create the ones
  // this node publishes to again, so the relay's next try finds them.
  ConnectionState.of(nc).onReconnect(() => void (async () => {
    const jsm = await nc.jetstreamManager();
    for (const s of [searchStream(config.cluster), stream, orderEvents, catalogStream(config.cluster)]) await ensureStream(jsm, s);
  })().catch((err: unknown) => log.warn({ err: String(err) }, 'could not re-create streams after a reconnect')));
  // The node's write pipeline: order, payment, cart and session writes of every entity here
  // share one transaction per batch (NODE_JOURNAL=0: one transaction per write, as before).
  const journal = config.nodeJournal ? new Journal(pool) : undefined;
  if (journal) journalCounters(journal);
  const orders = new OrderRepository(pool, undefined, journal);
  const sessions = new SessionRepository(pool, journal);
  const carts = new CartRepository(pool, journal);
  // One product cache for the cart and checkout: a SKU looked up by one is warm for the other.
  const products = new ProductRepository(pool);
  const routes = new RouteCache(new LogisticsRepository(pool));
  // The node's copy only invalidates; the gateway's reads add the delivery estimate.
  const history = new OrderHistory(orders, ctx.redis, config.cluster, config.cacheTtlSec);
  // Analytics and the recommendations trainer look up categories that order lines lack.
  const streamJobs = {
    nc, cluster: config.cluster, redis: ctx.jobsRedis, log,
    categoriesOf: async (skus: string[]) => new Map([...(await products.getMany(skus))].map(([sku, p]) => [sku, p.category])),
    ackWaitMs: config.analyticsAckWaitMs, failpoint: config.analyticsFailpoint,
  };
  // The user page the gateway caches (GET /v1/me): an order's points and coupons change it.
  const meCache = new ReadThroughCache<unknown>(ctx.redis, { prefix: `${config.cluster}:me`, ttlSeconds: config.cacheTtlSec });
  const shipping = new ShippingRateTable(new ShippingRepository(pool));
  // An operator's edit on any gateway (rates, routes, zones) is a logistics change.
  const logisticsEdits = nc.subscribe(logisticsChangedSubject(config.cluster), { callback: () => { shipping.invalidate(); routes.invalidate(); } });
  const productChanges = followProductChanges(nc, config.cluster, (skus) => products.invalidate(skus));
  const node = await ClusterNode.start({
    nc,
    ...nodeSettings(config),
    ...(database ? { database } : {}),
    log: log.child({ node: config.nodeId }),
    entities: [
      inventoryEntity({
        repo,
        commitDepth: config.inventoryCommitDepth,
        eventSubject: (e) => stream.subject(e.kind, e.sku),
        onEventsCommitted: () => relay.kick(),
      }),
      sessionEntity({
        repo: sessions,
        onClosed: async (id) => {
          announceRevoked(nc, config.cluster, id);
          // Flushed, then held for the gateways' trust window before the logout is answered:
          // the server has routed the announcement to every gateway's connection, and a
          // gateway that has not heard it by then has stopped answering from its cache
          // (actors/session/live-sessions.ts), so no client can hear "logged out" and then be
          // served with the token.
          if (!(await orAfter(nc.flush().then(() => true), 1000, false))) throw new Error('NATS flush timed out');
          await new Promise((resolve) => setTimeout(resolve, revocationTrustMs + 10));
        },
      }),
      cartEntity({ repo: carts, products }),
      checkoutEntity({
        idleTimeoutMs: config.checkoutIdleTimeoutMs,
        orders,
        products,
        users: new UserRepository(pool),
        inventory: new InventoryApi(client),
        carts: new CartApi(client),
        payments: new SimulatedCardProcessor(pool, { latencyMs: config.paymentLatencyMs, declineRate: config.paymentDeclineRate, timeoutMs: config.paymentTimeoutMs, outcomeUpFront: config.paymentOutcomeUpFront }, journal),
        reservationTtlMs: config.reservationTtlMs,
        commitGraceMs: 60_000,
        eventSubject: (kind, orderId) => orderEvents.subject(kind, orderId),
        onOutbox: () => relay.kick(),
        // The order's caches and, when its points or coupons moved, the user's profile: one script.
        onChange: (order, userChanged) => history.invalidate(order, userChanged ? [[meCache, order.userId]] : [])
          .catch((err: unknown) => log.warn({ err: String(err) }, 'order cache invalidation failed')),
        coupons: new CouponRepository(pool),
        routesTo: (cluster) => routes.to(cluster),
        shippingRate: (cluster, weightClass) => shipping.rate(cluster, weightClass),
        maxUnitsPerSku: config.maxUnitsPerSku,
        maxOpenOrders: config.maxOpenOrders,
        ...(config.checkoutFailpoint ? { failpoint: config.checkoutFailpoint } : {}),
      }),
    ],
    services: [
      // Searches go to other nodes before this one hands its shards off...
      { beforeStop: stopSearch },
      // ...and what the entities and jobs used closes after.
      {
        afterStop: async () => {
          productChanges.unsubscribe();
          logisticsEdits.unsubscribe();
          await inventoryPool.end().catch(() => undefined);
          await indexer?.stop();
          await searchIndex.close();
          await documents.close();
        },
      },
    ],
    singletons: [
      { name: 'outbox-relay', start: () => relay.start() },
      ...(outboxRetention ? [outboxRetention.singleton()] : []),
      expirySweeper({ repo, client, log: log.child({ job: 'expiry-sweeper' }), intervalMs: 1000 }),
      // Append-only tables kept bounded, once a minute: applied setStock ids past the dedup
      // window, sessions a day past their expiry, paid orders' cart removals after a day.
      retentionSingleton('inventory-command-retention', 60_000, log.child({ job: 'inventory-command-retention' }), () => repo.purgeExpiredCommands()),
      retentionSingleton('session-retention', 60_000, log.child({ job: 'session-retention' }), () => sessions.purgeExpired(Date.now())),
      retentionSingleton('cart-bought-retention', 60_000, log.child({ job: 'cart-bought-retention' }), () => carts.purgeBoughtOrders(Date.now())),
      checkoutSweeper({
        orders, client, inventory: new InventoryApi(client), carts: new CartApi(client), unrecordedAfterMs: config.looseReservationMs,
        log: log.child({ job: 'checkout-sweeper' }), intervalMs: 1000, resumeAfterMs: 5000,
      }),
      itemService({ nc, cluster: config.cluster, documents, pool, oos, log: catalogLog, onProductsChanged: (skus) => announceProductChanges(nc, config.cluster, skus) }),
      outOfStockProjection({ nc, cluster: config.cluster, set: oos, log: catalogLog }),
      deliveryEstimator({ nc, cluster: config.cluster, repo: new LogisticsRepository(pool), estimates, log: log.child({ part: 'logistics' }) }),
      homepageBuilder({ nc, cluster: config.cluster, redis: ctx.jobsRedis, documents, pool, signals: new RedisShopperSignals(ctx.jobsRedis, config.cluster), log: log.child({ part: 'homepage' }) }),
      ...analyticsJobs(streamJobs),
      recommendationsTrainer(streamJobs),
      ...(indexer ? [] : [sharedIndexer({ nc, cluster: config.cluster, index: searchIndex, log: catalogLog })]),
      popularityJob({ pool, redis: ctx.jobsRedis, prefix: config.cluster, log: catalogLog }),
    ],
  });
  // The process's own asks (the gateway's with ROLE=all, and entities asking entities) to
  // shards served here skip NATS.
  if (config.localDelivery) client.deliverLocally(node.localDelivery());
  return node;
}

