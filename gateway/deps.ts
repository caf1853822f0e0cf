// What the gateway needs from the rest of the process, passed in so tests can build it.
import type { Redis } from 'ioredis';
import type { ClusterClient, NodeStats } from '../cluster/index.ts';
import type { UsersService } from '../actors/users/index.ts';
import type { WishlistService } from '../actors/wishlist/index.ts';
import type { OrderHistory } from '../actors/checkout/index.ts';
import type { CatalogApi } from '../actors/catalog/index.ts';
import type { LogisticsAdmin, ZoneResolver } from '../actors/logistics/index.ts';
import type { HomepageApi, HomepageReader } from '../actors/homepage/index.ts';
import type { AnalyticsReports, Clickstream } from '../actors/analytics/index.ts';
import type { FeedbackService, RecommendationsApi } from '../actors/recommendations/index.ts';

/** Clickstream, analytics reports, recommendations and "not interested" feedback. */
export interface PersonalisationDeps {
  clickstream: Clickstream;
  reports: AnalyticsReports;
  recommendations: RecommendationsApi;
  feedback: FeedbackService;
  /** A product's category, or undefined for an unknown SKU. */
  product(sku: string): Promise<{ category: string } | undefined>;
}
import type { CouponRepository } from '../stores/mysql/coupons.ts';
import type { ShippingRepository } from '../stores/mysql/shipping.ts';
import type { LiveSessions, SessionService } from '../actors/session/index.ts';

export interface GatewayLimits {
  /** Signups and failed logins per client IP per minute. */
  authPerMin: number;
  /** Failed logins per account per minute before further attempts get 429. */
  loginFailuresPerMin: number;
  /** All requests per client IP per second. */
  perIpPerSec: number;
  /** HTTP requests in progress before new ones get 503 at once. */
  maxInflight: number;
  /** How long a finished Idempotency-Key response is kept for replay. */
  idempotencyTtlSec: number;
  /**
   * Proxies in front of the gateway that append to X-Forwarded-For (0: none, use the
   * socket's peer); the client is the entry the outermost of them added.
   */
  trustProxy: number;
  /** How long an Idempotency-Key stays locked after an answer whose outcome is unknown. */
  idempotencyUnknownHoldMs?: number;
  /** How long a SKU a checkout found sold out everywhere is refused by this gateway itself (0: never). */
  soldOutGateMs?: number;
}

export interface GatewayDeps {
  client: ClusterClient;
  adminToken: string | undefined;
  /** Secrets the cluster's processes share (stores/mysql/secrets.ts); absent: none are used. */
  secrets?: { get(name: string): Promise<Buffer> };
  /** Each dependency's state: "ok" or why not. */
  readiness(): Promise<Record<string, string>>;
  /** The cluster as an operator sees it (nodes, shard owners, actors). */
  clusterView(): Promise<unknown>;
  /** Every actor node's stats (mailbox depth, leases held), for /metrics. */
  nodeStats(): Promise<NodeStats[]>;
  redis: Redis;
  /** Prefix of this deployment's Redis keys (the cluster name). */
  keyPrefix: string;
  users: UsersService;
  /** The caller's own sessions: listed, ended one by one or all but the current. */
  sessions: SessionService;
  wishlist: WishlistService;
  /** Search, categories, product detail and supplier onboarding. */
  catalog: CatalogApi;
  /** The ids among `ids` that are not known warehouses. */
  unknownWarehouses(ids: string[]): Promise<string[]>;
  limits: GatewayLimits;
  /** Adds /bench/* routes (a bare hello, a flash-sale reserve) for bench:http. Never in production. */
  benchRoutes: boolean;
  /** Order history reads (MariaDB through Redis). */
  orders: OrderHistory;
  /** The delivery model an operator edits (warehouses, clusters, zones, routes). */
  logistics: LogisticsAdmin;
  /** Which delivery cluster a country and postal code are in. */
  zones: ZoneResolver;
  /** The homepage: pages from Redis (reader) and admin documents (api, via the builder). */
  homepage: { reader: HomepageReader; api: HomepageApi };
  personalisation: PersonalisationDeps;
  /** Admin coupons. */
  coupons: CouponRepository;
  /** Shipping rates per delivery cluster and weight class. */
  shippingRates: ShippingRepository;
  /** Sessions verified locally, fed by the revocation feed; unset: every request asks. */
  liveSessions?: LiveSessions;
  /** Browser origins allowed to call the API (CORS_ORIGINS); empty or unset: none, "*": any. */
  corsOrigins?: string[];
}
