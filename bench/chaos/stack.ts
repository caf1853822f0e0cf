// What one chaos scenario runs against: private NATS, Redis and MariaDB servers (started
// once per run, on their own ports and temp dirs), and per scenario a fresh database and
// cluster name with two actor nodes and a gateway as separate processes.
import { benchCheckoutEnv, seedRoutes } from '../commerce-setup.ts';
import { randomBytes } from 'node:crypto';
import { RequestStrategy, type NatsConnection } from 'nats';
import { pino } from 'pino';
import { connectNats, shardOf } from '../../cluster/index.ts';
import { createPool, dropDatabase, migrate, withDatabase, type Pool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { demoProducts, demoWarehouses } from '../../app/demo.ts';
import { startProcess, type Proc } from '../../test/support/harness.ts';
import { startMariadb, startNats, startRedis, type PrivateServer } from '../../test/support/private-servers.ts';

/** Every process a stack started, so an interrupted run can kill them all. */
export const running = new Set<Proc>();

export const ports = { nats: 14230, redis: 16385, mariadb: 13315, http: 18150 };
export const adminToken = 'chaosadmin';
export const shards = 16;
export const leaseTtlMs = 3000;
/** How long an unpaid order holds its stock here: short, so the sweepers settle the sale quickly. */
export const reservationTtlMs = 10_000;
/**
 * How old a reservation of a checkout whose outcome was unknown (and whose order was never
 * recorded) must be before the sweeper releases it; short for the same reason.
 */
export const looseReservationMs = 5000;

/** Like the harness's startApp, with room for a slow start on a loaded machine. */
async function startApp(env: Record<string, string>, role: 'node' | 'gateway', extra: Record<string, string>): Promise<Proc & { url?: string }> {
  const proc = startProcess('app/main.ts', { ...env, ROLE: role, ...extra });
  running.add(proc);
  let url: string | undefined;
  if (role === 'gateway') url = (await proc.waitFor(/gateway listening on (\S+)/, 120_000)).split(' ').pop();
  else await proc.waitFor(/actor node \S+ joined/, 120_000);
  return Object.assign(proc, { url });
}

export interface Servers {
  nats: PrivateServer;
  redis: PrivateServer;
  mariadb: PrivateServer;
  all: PrivateServer[];
}

export async function startServers(): Promise<Servers> {
  const [nats, redis, mariadb] = await Promise.all([startNats(ports.nats), startRedis(ports.redis), startMariadb(ports.mariadb)]);
  return { nats, redis, mariadb, all: [nats, redis, mariadb] };
}

export interface Stack {
  cluster: string;
  env: Record<string, string>;
  pool: Pool;
  url: string;
  nodes: Map<string, Proc>;
  gateway: Proc;
  nc: NatsConnection;
  /** The node serving the shard of `id` right now (asked of the nodes over NATS). */
  ownerOf(id: string): Promise<string | undefined>;
  stop(): Promise<void>;
}


export async function startStack(scenario: string, servers: Servers, index: number): Promise<Stack> {
  const cluster = `chaos_${scenario.replace(/[^a-z0-9]/g, '')}_${randomBytes(2).toString('hex')}`;
  const mysqlUrl = withDatabase(servers.mariadb.url, `shop_${cluster}`);
  await migrate(mysqlUrl);
  const pool = createPool(mysqlUrl, { connectionLimit: 4 });
  await new ProductRepository(pool).upsertMany(demoProducts(60));
  for (const w of demoWarehouses) {
    await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  }
  await seedRoutes(pool);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLUSTER: cluster, MYSQL_URL: mysqlUrl, NATS_URL: servers.nats.url, REDIS_URL: servers.redis.url,
    SHARDS: String(shards), LEASE_TTL_MS: String(leaseTtlMs), RESERVATION_TTL_MS: String(reservationTtlMs), LOOSE_RESERVATION_MS: String(looseReservationMs),
    PAYMENT_LATENCY_MS: '5', LOG_LEVEL: process.env.LOG_LEVEL || 'warn', MYSQL_POOL_SIZE: '16', ...benchCheckoutEnv,
  };
  const nodes = new Map<string, Proc>();
  const started = await Promise.all(['n1', 'n2'].map(async (id) => {
    const proc = await startApp(env, 'node', { NODE_ID: `${cluster}-${id}` });
    return [`${cluster}-${id}`, proc] as const;
  }));
  for (const [id, proc] of started) nodes.set(id, proc);
  const gateway = await startApp(env, 'gateway', {
    PORT: String(ports.http + index), ADMIN_TOKEN: adminToken, NODE_ID: `${cluster}-gw`,
    RATE_LIMIT_PER_SEC: '1000000', RATE_LIMIT_AUTH_PER_MIN: '1000000', MAX_INFLIGHT_HTTP: '100000',
  });
  const nc = await connectNats(servers.nats.url, `chaos-${cluster}`, pino({ level: 'silent' }));
  return {
    cluster, env, pool, url: gateway.url!, nodes, gateway, nc,
    async ownerOf(id) {
      const shard = shardOf(id, shards);
      // Asked until a node says it serves the shard: on a loaded machine a reply can be slow.
      for (let attempt = 0; attempt < 10; attempt++) {
        const replies = await nc.requestMany(`${cluster}.svc.cluster.stats`, undefined, { strategy: RequestStrategy.Timer, maxWait: 1500 });
        for await (const msg of replies) {
          const stats = JSON.parse(new TextDecoder().decode(msg.data)) as { nodeId: string; shards: number[] };
          if (stats.shards.includes(shard)) return stats.nodeId;
        }
      }
      return undefined;
    },
    async stop() {
      const procs = [gateway, ...nodes.values()];
      for (const p of procs) p.child.kill('SIGCONT');
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
      for (const p of procs) running.delete(p);
      await nc.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await dropDatabase(mysqlUrl).catch(() => undefined);
    },
  };
}
