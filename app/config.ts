// Reads the environment once at start and turns it into validated settings; a bad
// value stops the process with a message that names the variable.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { parseCorsOrigins } from '../gateway/cors.ts';
import { defaultWriteGapMs } from '../cluster/write-pacer.ts';

export type Role = 'all' | 'node' | 'gateway';

export interface Config {
  role: Role;
  nodeId: string;
  cluster: string;
  natsUrl: string;
  redisUrl: string;
  mysqlUrl: string;
  host: string;
  port: number;
  /**
   * How long the gateway keeps an idle keep-alive connection (Node's default is 5 s). Longer
   * than a load balancer's idle timeout (60 s on the common ones), so the balancer, not the
   * gateway, closes an idle connection and never sends a request into one being closed; and
   * a gateway stopped for a while (SIGSTOP, a long GC, a frozen VM) answers the requests that
   * waited on its kept-alive connections instead of resetting them when it resumes.
   */
  httpKeepAliveMs: number;
  /** After SIGTERM, how long a gateway still serves with /readyz failing before it closes its port (HTTP_STOP_GRACE_MS). */
  httpStopGraceMs: number;
  shards: number;
  leaseTtlMs: number;
  askDeadlineMs: number;
  mailboxLimit: number;
  inFlightLimit: number;
  idleTimeoutMs: number;
  /**
   * How long an order's entity stays in memory without a message (CHECKOUT_IDLE_TIMEOUT_MS):
   * shorter than other entities', since a flash sale makes one per checkout attempt and
   * an order is rarely touched again soon after it is paid or refused.
   */
  checkoutIdleTimeoutMs: number;
  inventoryCommitDepth: number;
  /**
   * How long a finished reservation stays whole in an inventory entity's memory
   * (INVENTORY_KEEP_FINISHED_MS); after it, until the 24-hour dedup window ends, only its
   * id is kept, in a Bloom filter of a few bytes an id.
   */
  inventoryKeepFinishedMs: number;
  /** How long published outbox rows are kept (OUTBOX_RETENTION_HOURS); 0 keeps them for ever. */
  outboxRetentionHours: number;
  /** MariaDB connections per process for everything but inventory commits (MYSQL_POOL_SIZE). */
  mysqlPoolSize: number;
  /** Longest wait for one MariaDB statement (MYSQL_QUERY_TIMEOUT_MS); past it the outcome is unknown. */
  mysqlQueryTimeoutMs: number;
  /** Longest wait for one Redis command (REDIS_COMMAND_TIMEOUT_MS): a hung Redis fails requests, it does not hold them. */
  redisCommandTimeoutMs: number;
  /** How long an unpaid order holds its stock (RESERVATION_TTL_MS). */
  reservationTtlMs: number;
  /** A reservation held under an order id that was never recorded is released after this long (LOOSE_RESERVATION_MS). */
  looseReservationMs: number;
  /** The simulated card processor: latency, decline rate for ordinary tokens, and tok_timeout's wait. */
  paymentLatencyMs: number;
  paymentDeclineRate: number;
  paymentTimeoutMs: number;
  /** The simulator tells checkout a charge's outcome before making it (PAYMENT_OUTCOME_UP_FRONT, default 1). */
  paymentOutcomeUpFront: boolean;
  /** Test hook: the checkout saga kills its process at this step (CHECKOUT_FAILPOINT=after_charge). */
  checkoutFailpoint: string | undefined;
  /** Units of one SKU per order (MAX_UNITS_PER_SKU); more is 422 quantity_limit. */
  maxUnitsPerSku: number;
  /** Unpaid orders one user may hold (MAX_OPEN_ORDERS); more is 409 too_many_open_orders. */
  maxOpenOrders: number;
  logLevel: string;
  /** Bearer token for 🛠 admin routes (ADMIN_TOKEN); unset: every admin call is 403. */
  adminToken: string | undefined;
  /** Signups and failed logins per client IP per minute (RATE_LIMIT_AUTH_PER_MIN). */
  rateLimitAuthPerMin: number;
  /** Failed logins per account per minute before 429 (LOGIN_FAILURES_PER_MIN). */
  loginFailuresPerMin: number;
  /** All requests per client IP per second (RATE_LIMIT_PER_SEC). */
  rateLimitPerSec: number;
  /** HTTP requests in progress before the gateway answers 503 (MAX_INFLIGHT_HTTP). */
  maxInflightHttp: number;
  /** How long an Idempotency-Key's response is kept (IDEMPOTENCY_TTL_SECONDS). */
  idempotencyTtlSec: number;
  /** Lifetime of a login session (SESSION_TTL_HOURS). */
  sessionTtlMs: number;
  /** Proxies in front that append to X-Forwarded-For (TRUST_PROXY=N; 0: none). */
  trustProxy: number;
  /** IDEMPOTENCY_UNKNOWN_HOLD_MS: an Idempotency-Key stays locked this long after an unknown outcome. */
  idempotencyUnknownHoldMs: number;
  /** SOLD_OUT_GATE_MS: a SKU a checkout found sold out everywhere is refused by the gateway itself this long (0: off). */
  soldOutGateMs: number;
  /** NODE_JOURNAL: batch the node's entity writes into one transaction per batch (default 1). */
  nodeJournal: boolean;
  /**
   * With ROLE=all, asks to the shards this process serves skip NATS (LOCAL_DELIVERY=1, the
   * default; 0 sends every ask over NATS, as a separate gateway would).
   */
  localDelivery: boolean;
  /**
   * NATS_WRITE_GAP_MS: a busy NATS connection (over two messages per gap) is written at
   * most about once per this many ms, many messages a write; 0 writes every publish at once.
   */
  natsWriteGapMs: number;
  /** Serve /bench/* routes for bench:http (BENCH_ROUTES=1; never in production). */
  benchRoutes: boolean;
  /** Lifetime of cached user pages and wishlists in Redis (CACHE_TTL_SECONDS). */
  cacheTtlSec: number;
  /** MongoDB for product documents (MONGO_URL); unset: the MariaDB JSON table. */
  mongoUrl: string | undefined;
  /** Elasticsearch for search (ELASTICSEARCH_URL); unset: an embedded index per node. */
  elasticsearchUrl: string | undefined;
  /** Whether a node seeds the demo data (DEMO_DATA; `npm start` sets 1). */
  demoData: boolean;
  /** Products `npm start` onboards on first start (DEMO_PRODUCTS). */
  demoProducts: number;
  /** At most one homepage rebuild per key per this interval across all gateways (HOMEPAGE_REBUILD_MIN_MS). */
  homepageRebuildMinMs: number;
  /** How often a gateway re-reads a homepage key from Redis (HOMEPAGE_REFRESH_MS). */
  homepageRefreshMs: number;
  /** An MMDB country database to use instead of the packaged one (GEOIP_DB). */
  geoipDb: string | undefined;
  /** Test hook: analytics consumers kill their process mid-batch (ANALYTICS_FAILPOINT=mid_batch). */
  analyticsFailpoint: 'mid_batch' | undefined;
  /** How long an analytics consumer's unacknowledged batch waits before redelivery (ANALYTICS_ACK_WAIT_MS). */
  analyticsAckWaitMs: number;
  /** The ops port (OPS_PORT: /healthz, /readyz, /metrics); unset: none. OPS_HOST: where it listens. */
  opsPort: number | undefined;
  opsHost: string;
  /** JetStream replicas of the buckets and streams this process creates (JETSTREAM_REPLICAS). */
  jetstreamReplicas: number;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS, comma-separated; "*" any). */
  corsOrigins: string[];
}

/** Thrown for a configuration value a person has to fix; `variable` names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string, pattern?: RegExp, hint?: string): string {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : raw;
  if (pattern && !pattern.test(value)) throw new ConfigError(name, `"${value}" is not valid; expected ${hint}`);
  return value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `"${raw}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string, schemes: string[]): string {
  const value = text(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL such as ${fallback}`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `scheme "${parsed.protocol}" is not one of ${schemes.join(', ')}`);
  }
  return value;
}

/**
 * One URL or several, comma-separated (the servers of a NATS cluster: the client tries
 * them in a random order and reconnects to another when one goes), each checked as `url` checks one.
 */
function urlList(env: Env, name: string, fallback: string, schemes: string[]): string {
  const value = text(env, name, fallback);
  const each = value.split(',').map((part) => part.trim());
  for (const part of each) {
    if (part === '') throw new ConfigError(name, `"${value}" has an empty entry; list URLs separated by commas`);
    url({ [name]: part }, name, fallback, schemes);
  }
  return each.join(',');
}

/** A path that must name a readable file (checked now, not when a request first needs it). */
function readableFile(env: Env, name: string): string | undefined {
  const path = env[name];
  if (path === undefined || path === '') return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new ConfigError(name, `"${path}" cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return path;
}

function origins(env: Env, name: string): string[] {
  try {
    return parseCorsOrigins(env[name]);
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
}

export const defaultMysqlUrl = 'mysql://root@127.0.0.1:3306/shop';

/** Parses the environment; throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const role = text(env, 'ROLE', 'all', /^(all|node|gateway)$/, 'all, node or gateway') as Role;
  return {
    role,
    nodeId: text(env, 'NODE_ID', `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`, /^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
    cluster: text(env, 'CLUSTER', 'shop', /^[a-z][a-z0-9_]{0,31}$/, 'a lowercase letter, then up to 31 lowercase letters, digits or _ (no -), such as shop'),
    natsUrl: urlList(env, 'NATS_URL', 'nats://127.0.0.1:4222', ['nats', 'tls']),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss']),
    mysqlUrl: url(env, 'MYSQL_URL', defaultMysqlUrl, ['mysql', 'mariadb']),
    host: text(env, 'HOST', '127.0.0.1'),
    port: int(env, 'PORT', 8080, 0, 65535),
    shards: int(env, 'SHARDS', 64, 1, 4096),
    leaseTtlMs: int(env, 'LEASE_TTL_MS', 3000, 500, 600_000),
    askDeadlineMs: int(env, 'ASK_DEADLINE_MS', 5000, 50, 600_000),
    httpKeepAliveMs: int(env, 'HTTP_KEEP_ALIVE_MS', 65_000, 1000, 600_000),
    httpStopGraceMs: int(env, 'HTTP_STOP_GRACE_MS', 0, 0, 60_000),
    mailboxLimit: int(env, 'MAILBOX_LIMIT', 50_000, 1, 10_000_000),
    inFlightLimit: int(env, 'INFLIGHT_LIMIT', 50_000, 1, 10_000_000),
    idleTimeoutMs: int(env, 'IDLE_TIMEOUT_MS', 120_000, 100, 86_400_000),
    checkoutIdleTimeoutMs: int(env, 'CHECKOUT_IDLE_TIMEOUT_MS', 15_000, 100, 86_400_000),
    inventoryCommitDepth: int(env, 'INVENTORY_COMMIT_DEPTH', 2, 1, 16),
    inventoryKeepFinishedMs: int(env, 'INVENTORY_KEEP_FINISHED_MS', 600_000, 1000, 86_400_000),
    outboxRetentionHours: int(env, 'OUTBOX_RETENTION_HOURS', 24, 0, 24 * 365),
    reservationTtlMs: int(env, 'RESERVATION_TTL_MS', 600_000, 1000, 7 * 86_400_000),
    looseReservationMs: int(env, 'LOOSE_RESERVATION_MS', 15_000, 1000, 3_600_000),
    mysqlPoolSize: int(env, 'MYSQL_POOL_SIZE', 32, 1, 1000),
    mysqlQueryTimeoutMs: int(env, 'MYSQL_QUERY_TIMEOUT_MS', 10_000, 100, 600_000),
    redisCommandTimeoutMs: int(env, 'REDIS_COMMAND_TIMEOUT_MS', 2000, 50, 600_000),
    paymentLatencyMs: int(env, 'PAYMENT_LATENCY_MS', 20, 0, 60_000),
    paymentDeclineRate: int(env, 'PAYMENT_DECLINE_PERCENT', 0, 0, 100) / 100,
    paymentTimeoutMs: int(env, 'PAYMENT_TIMEOUT_MS', 1500, 10, 120_000),
    // 0: the simulator behaves as a processor whose answer comes only after the charge
    // (orders wait in `charging` for it), the path every real processor takes.
    paymentOutcomeUpFront: int(env, 'PAYMENT_OUTCOME_UP_FRONT', 1, 0, 1) === 1,
    checkoutFailpoint: ((f) => (f === 'none' ? undefined : f))(text(env, 'CHECKOUT_FAILPOINT', 'none', /^(none|after_stock|after_charge|after_refund|stock_unavailable|paid_unavailable)$/, 'none, after_stock, after_charge, after_refund, stock_unavailable or paid_unavailable')),
    maxUnitsPerSku: int(env, 'MAX_UNITS_PER_SKU', 10, 1, 1_000_000),
    maxOpenOrders: int(env, 'MAX_OPEN_ORDERS', 3, 1, 1_000_000),
    logLevel: text(env, 'LOG_LEVEL', 'info', /^(trace|debug|info|warn|error|fatal|silent)$/, 'trace, debug, info, warn, error, fatal or silent'),
    adminToken: env.ADMIN_TOKEN || undefined,
    rateLimitAuthPerMin: int(env, 'RATE_LIMIT_AUTH_PER_MIN', 30, 1, 100_000_000),
    loginFailuresPerMin: int(env, 'LOGIN_FAILURES_PER_MIN', 10, 1, 100_000_000),
    rateLimitPerSec: int(env, 'RATE_LIMIT_PER_SEC', 2000, 1, 100_000_000),
    maxInflightHttp: int(env, 'MAX_INFLIGHT_HTTP', 2000, 1, 10_000_000),
    idempotencyTtlSec: int(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    sessionTtlMs: int(env, 'SESSION_TTL_HOURS', 720, 1, 24 * 366) * 3600_000,
    trustProxy: int(env, 'TRUST_PROXY', 0, 0, 16),
    idempotencyUnknownHoldMs: int(env, 'IDEMPOTENCY_UNKNOWN_HOLD_MS', 60_000, 1000, 3600_000),
    soldOutGateMs: int(env, 'SOLD_OUT_GATE_MS', 250, 0, 10_000),
    nodeJournal: text(env, 'NODE_JOURNAL', '1', /^[01]$/, '0 or 1') === '1',
    localDelivery: text(env, 'LOCAL_DELIVERY', '1', /^[01]$/, '0 or 1') === '1',
    natsWriteGapMs: int(env, 'NATS_WRITE_GAP_MS', defaultWriteGapMs, 0, 50),
    benchRoutes: text(env, 'BENCH_ROUTES', '0', /^[01]$/, '0 or 1') === '1',
    cacheTtlSec: int(env, 'CACHE_TTL_SECONDS', 600, 1, 86_400),
    mongoUrl: env.MONGO_URL ? url(env, 'MONGO_URL', 'mongodb://127.0.0.1:27017/shop', ['mongodb', 'mongodb+srv']) : undefined,
    elasticsearchUrl: env.ELASTICSEARCH_URL ? url(env, 'ELASTICSEARCH_URL', 'http://127.0.0.1:9200', ['http', 'https']) : undefined,
    demoData: text(env, 'DEMO_DATA', '0', /^[01]$/, '0 or 1') === '1',
    demoProducts: int(env, 'DEMO_PRODUCTS', 5000, 0, 1_000_000),
    homepageRebuildMinMs: int(env, 'HOMEPAGE_REBUILD_MIN_MS', 5000, 100, 3_600_000),
    homepageRefreshMs: int(env, 'HOMEPAGE_REFRESH_MS', 250, 10, 1900),
    geoipDb: readableFile(env, 'GEOIP_DB'),
    analyticsFailpoint: text(env, 'ANALYTICS_FAILPOINT', 'none', /^(none|mid_batch)$/, 'none or mid_batch') === 'mid_batch' ? 'mid_batch' : undefined,
    analyticsAckWaitMs: int(env, 'ANALYTICS_ACK_WAIT_MS', 10_000, 500, 600_000),
    opsPort: env.OPS_PORT ? int(env, 'OPS_PORT', 0, 0, 65535) : undefined,
    opsHost: text(env, 'OPS_HOST', '127.0.0.1'),
    jetstreamReplicas: int(env, 'JETSTREAM_REPLICAS', 1, 1, 5),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
  };
}
