// The actor strategy: the project's inventory actors on `nodes` node processes started
// here, asked over NATS from this process (concurrent asks to the SKU are coalesced),
// with every success committed to MariaDB before it is acknowledged.
import { randomBytes } from 'node:crypto';
import { InventoryApi } from '../../../actors/inventory/index.ts';
import { ClusterClient, RejectedError } from '../../../cluster/index.ts';
import { defaultMysqlUrl } from '../../../app/config.ts';
import { createPool, dropDatabase, migrate, withDatabase } from '../../../stores/mysql/index.ts';
import { natsConnection, removeNatsState, startApp, type Proc } from '../../../test/support/harness.ts';
import type { Strategy } from '../strategy.ts';

export async function createActorStrategy(opts: { nodes: number }): Promise<Strategy> {
  const cluster = `bench_${randomBytes(3).toString('hex')}`;
  const mysqlUrl = withDatabase(process.env.MYSQL_URL || defaultMysqlUrl, `shop_${cluster}`);
  await migrate(mysqlUrl);
  const shards = 64;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLUSTER: cluster, MYSQL_URL: mysqlUrl, SHARDS: String(shards), LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  };
  const nodes: Proc[] = [];
  for (let i = 0; i < opts.nodes; i++) nodes.push(await startApp(env, 'node', { NODE_ID: `bench-node-${i}` }));
  const nc = await natsConnection();
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 10_000, inFlightLimit: 100_000 });
  const inventory = new InventoryApi(client);
  const pool = createPool(mysqlUrl, { connectionLimit: 2 });
  let sku = '';

  return {
    name: 'actor',
    durable: true,
    async setup(stock) {
      // A new SKU per run, so no actor holds state from an earlier one.
      sku = `FLASH-${Date.now().toString(36)}`;
      await inventory.setStock(sku, [{ warehouseId: 'wh-1', onHand: stock }]);
      // Warm-up outside the timed sale: the owner activates the entity now.
      await inventory.get(sku);
    },
    async buy(buyerId) {
      try {
        await inventory.reserve(sku, { reservationId: `b${buyerId}`, qty: 1, ttlMs: 3600_000 });
        return true;
      } catch (err) {
        if (err instanceof RejectedError && err.code === 'insufficient_stock') return false;
        throw err;
      }
    },
    processes() {
      return Object.fromEntries(nodes.map((n, i) => [nodes.length === 1 ? 'node' : `node${i}`, n.child.pid!] as const));
    },
    async countDurable() {
      const [rows] = await pool.query("SELECT COUNT(*) AS n FROM reservations WHERE sku = ? AND status = 'active'", [sku]);
      return Number((rows as { n: number }[])[0]?.n ?? 0);
    },
    async close() {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await nc.close();
      await pool.end();
      await dropDatabase(mysqlUrl);
      await removeNatsState(cluster);
    },
  };
}
