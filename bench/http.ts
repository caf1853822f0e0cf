// bench:http — the gateway under load with autocannon, in one run: `hello` (a bare Hono
// route, the ceiling), `inventory-read`, `cart` (add/get for many users) and `flash-sale`
// (many buyers checking one SKU out through the buy-now path, POST /v1/checkout).
// Starts its own node and gateway on a fresh database and cluster name; prints req/s,
// p50/p99 per scenario and the ratio to `hello`; `--json` adds one JSON line at the end.
import { addAddress, benchCheckoutEnv, seedRoutes } from './commerce-setup.ts';
import autocannon from 'autocannon';
import { createPool } from '../stores/mysql/index.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { demoProducts, demoWarehouses } from '../app/demo.ts';
import { freshEnv, startApp } from '../test/support/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const json = args.includes('--json');
const duration = flag('duration', 8);
const connections = flag('connections', 64);
const users = flag('users', 200);
const say = (line: string) => process.stderr.write(`[bench:http] ${line}\n`);

interface Row { scenario: string; rps: number; p50: number; p99: number; non2xx: number; errors: number; ratio?: number }

async function run(name: string, opts: Partial<autocannon.Options> & { url: string }): Promise<Row> {
  say(`${name}: ${connections} connections for ${duration} s`);
  const r = await autocannon({ connections, duration, pipelining: 1, ...opts });
  return { scenario: name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

const env = await freshEnv('benchhttp', { SHARDS: '64', LEASE_TTL_MS: '3000', LOG_LEVEL: 'warn' });
const pool = createPool(env.mysqlUrl, { connectionLimit: 4 });
const procs: { kill(sig?: NodeJS.Signals): Promise<unknown> }[] = [];
try {
  await new ProductRepository(pool).upsertMany(demoProducts(300));
  for (const w of demoWarehouses) await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  await seedRoutes(pool);
  procs.push(await startApp(env.env, 'node', { NODE_ID: 'bench-node', ...benchCheckoutEnv }));
  const gw = await startApp(env.env, 'gateway', {
    PORT: '0', ADMIN_TOKEN: 'benchadmin', BENCH_ROUTES: '1', RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000',
  });
  procs.push(gw);
  const url = gw.url!;
  const admin = { authorization: 'Bearer benchadmin', 'content-type': 'application/json' };
  for (const sku of ['SKU-00001', 'SKU-00002']) {
    const res = await fetch(`${url}/v1/admin/inventory/${sku}`, { method: 'PUT', headers: admin, body: JSON.stringify({ warehouses: [{ warehouseId: 'wh-east', onHand: 1_000_000 }] }) });
    if (res.status !== 200) throw new Error(`stock set-up failed: ${res.status} ${await res.text()}`);
  }
  say(`signing up ${users} users`);
  const tokens: string[] = [];
  for (let i = 0; i < users; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, users - i) }, async (_, j) => {
      const res = await fetch(`${url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench${i + j}@example.com`, password: 'password123', name: 'Bench' }) });
      const token = ((await res.json()) as { token: string }).token;
      await addAddress(url, token);
      return token;
    }));
    tokens.push(...batch);
  }
  // Warm up: activate the entities so the first scenario does not pay for activation.
  await autocannon({ url: `${url}/v1/inventory/SKU-00002`, connections: 8, amount: 2000 });

  const rows: Row[] = [];
  rows.push(await run('hello', { url: `${url}/bench/hello` }));
  rows.push(await run('inventory-read', { url: `${url}/v1/inventory/SKU-00002` }));
  let n = 0;
  rows.push(await run('cart', {
    url,
    requests: [{
      setupRequest: (req) => {
        const k = n++;
        const token = tokens[k % tokens.length]!;
        // Half adds (a random SKU, so lines grow), half reads.
        if (k % 2 === 0) {
          const sku = `SKU-${String(1 + Math.floor(Math.random() * 300)).padStart(5, '0')}`;
          return { ...req, method: 'POST', path: '/v1/cart/items', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sku, qty: 1 }) };
        }
        return { ...req, method: 'GET', path: '/v1/cart', headers: { authorization: `Bearer ${token}` } };
      },
    }],
  }));
  // The buy-now path: many users each checking one unit of one SKU out (an order with its
  // reservation); paying is measured by `bench:flash-sale --via http`.
  let m = 0;
  rows.push(await run('flash-sale', {
    url,
    requests: [{
      setupRequest: (req) => {
        const token = tokens[m++ % tokens.length]!;
        return { ...req, method: 'POST', path: '/v1/checkout', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ sku: 'SKU-00001', qty: 1 }] }) };
      },
    }],
  }));
  const [sold] = await pool.query("SELECT COUNT(*) AS n FROM orders WHERE status = 'pending_payment'");

  const hello = rows[0]!.rps || 1;
  for (const r of rows) r.ratio = Math.round((r.rps / hello) * 100) / 100;
  const pad = (v: unknown, w: number) => String(v).padStart(w);
  process.stdout.write(`\n${'scenario'.padEnd(16)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('non-2xx', 9)}${pad('errors', 8)}${pad('× hello', 9)}\n`);
  for (const r of rows) process.stdout.write(`${r.scenario.padEnd(16)}${pad(r.rps, 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad(r.non2xx, 9)}${pad(r.errors, 8)}${pad(r.ratio, 9)}\n`);
  const reserved = Number((sold as { n: number }[])[0]?.n ?? 0);
  process.stdout.write(`\nflash-sale: ${reserved} orders placed (stock reserved) in MariaDB; ${connections} connections, ${duration} s per scenario, ${users} cart users\n`);
  const target = (rows[1]!.ratio ?? 0) >= 0.5;
  process.stdout.write(`target inventory-read ≥ 0.5 × hello: ${target ? 'met' : 'NOT met'}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ bench: 'http', duration, connections, users, scenarios: rows, flashSaleReserved: reserved, inventoryReadTargetMet: target })}\n`);
} finally {
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  await pool.end().catch(() => undefined);
  await env.cleanup();
}
