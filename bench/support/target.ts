// Where an HTTP bench sends its load: a gateway (and nodes) it starts itself on a fresh
// database and cluster name, or — with `--url` — a gateway that is already running.
import { benchCheckoutEnv, seedRoutes } from '../commerce-setup.ts';
import { createPool, type Pool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { demoProducts, demoWarehouses } from '../../app/demo.ts';
import { freshEnv, natsUrl, redisUrl, startApp, type Proc } from '../../test/support/harness.ts';
import { pidListeningOn, serverPids } from './cpu.ts';

export interface Target {
  url: string;
  adminToken: string;
  /** MariaDB of the system under test, when known (always when started here). */
  pool: Pool | undefined;
  /** Processes whose CPU the bench reports, by name. */
  pids: Record<string, number>;
  /** What the processes started here wrote (their warnings and errors), by name; empty with --url. */
  logs(): Record<string, string>;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** A running gateway; unset: start one. */
  url?: string;
  adminToken?: string;
  /** MariaDB of a running system, for the durability checks (optional with --url). */
  mysqlUrl?: string;
  nodes: number;
  /** Processes started: nodes and a gateway (split, the default), or processes with both roles. */
  roles?: 'split' | 'all' | 'all-nats';
  products: number;
  suite: string;
  env?: Record<string, string>;
}

export async function openTarget(opts: TargetOptions): Promise<Target> {
  if (opts.url) {
    const url = opts.url.replace(/\/$/, '');
    // Before signing up buyers or measuring anything: a gateway not there is one line and
    // exit 2, not a stack trace (after a 5 s hello phase in bench:flash-sale).
    const healthy = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, (err: unknown) => String((err as { cause?: { code?: string } }).cause?.code ?? err));
    if (healthy !== 200) {
      process.stderr.write(`--url ${url}: no gateway answers there (GET /healthz: ${healthy})\n`);
      process.exit(2);
    }
    const pids: Record<string, number> = serverPids({ nats: natsUrl, mysql: opts.mysqlUrl ?? 'mysql://127.0.0.1:3306', redis: redisUrl });
    const u = new URL(url);
    if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') {
      const gw = pidListeningOn(Number(u.port || 80));
      if (gw !== undefined) pids.gateway = gw;
    }
    const pool = opts.mysqlUrl ? createPool(opts.mysqlUrl, { connectionLimit: 2 }) : undefined;
    return { url, adminToken: opts.adminToken ?? process.env.ADMIN_TOKEN ?? '', pool, pids, logs: () => ({}), close: async () => void (await pool?.end().catch(() => undefined)) };
  }
  const env = await freshEnv(opts.suite, { SHARDS: '64', LEASE_TTL_MS: '3000', LOG_LEVEL: 'warn', PAYMENT_LATENCY_MS: '0', ...opts.env });
  const pool = createPool(env.mysqlUrl, { connectionLimit: 2 });
  const procs: Proc[] = [];
  const names = new Map<Proc, string>();
  const pids: Record<string, number> = serverPids({ nats: natsUrl, mysql: env.mysqlUrl, redis: redisUrl });
  try {
    await new ProductRepository(pool).upsertMany(demoProducts(opts.products));
    for (const w of demoWarehouses) await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
    // Checkout needs a deliverable address (routes) and bench buyers check out again and again.
    await seedRoutes(pool);
    const gatewayEnv = {
      PORT: '0', ADMIN_TOKEN: 'benchadmin', BENCH_ROUTES: '1', RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000',
    };
    const roles = opts.roles ?? 'split';
    let url: string;
    if (roles === 'split') {
      for (let i = 0; i < opts.nodes; i++) {
        const p = await startApp(env.env, 'node', { NODE_ID: `bench-node-${i}`, ...benchCheckoutEnv });
        procs.push(p);
        names.set(p, `node${i}`);
        pids[opts.nodes === 1 ? 'node' : `node${i}`] = p.child.pid!;
      }
      const gw = await startApp(env.env, 'gateway', gatewayEnv);
      procs.push(gw);
      names.set(gw, 'gateway');
      pids.gateway = gw.child.pid!;
      url = gw.url!;
    } else {
      // Both roles in each process; the load goes to the first one's HTTP port.
      const urls: string[] = [];
      for (let i = 0; i < opts.nodes; i++) {
        const p = await startApp(env.env, 'all', { NODE_ID: `bench-node-${i}`, ...benchCheckoutEnv, ...gatewayEnv, LOCAL_DELIVERY: roles === 'all' ? '1' : '0' });
        procs.push(p);
        names.set(p, `app${i}`);
        pids[opts.nodes === 1 ? 'app' : `app${i}`] = p.child.pid!;
        urls.push(p.url!);
      }
      url = urls[0]!;
    }
    return {
      url, adminToken: 'benchadmin', pool, pids,
      logs: () => Object.fromEntries(procs.map((p) => [names.get(p)!, p.output()])),
      async close() {
        await Promise.all(procs.map((p) => p.kill('SIGTERM')));
        await pool.end().catch(() => undefined);
        await env.cleanup();
      },
    };
  } catch (err) {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await pool.end().catch(() => undefined);
    await env.cleanup();
    throw err;
  }
}
