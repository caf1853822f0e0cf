// `bench:flash-sale --via http`: the whole sale through the gateway's buy-now path — each
// buyer POSTs /v1/checkout with one unit, then pays — against node and gateway processes
// started here, next to the `hello` ceiling (a bare Hono route) measured in the same run.
import { addAddress, benchCheckoutEnv, seedRoutes } from '../commerce-setup.ts';
import autocannon from 'autocannon';
import { createPool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { demoProducts, demoWarehouses } from '../../app/demo.ts';
import { freshEnv, startApp, type Proc } from '../../test/support/harness.ts';

export interface HttpSaleOptions { buyers: number; stock: number; concurrency: number; nodes: number; json: boolean }

const say = (line: string) => process.stderr.write(`[flash-sale:http] ${line}\n`);

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function runHttpSale(opts: HttpSaleOptions): Promise<number> {
  const env = await freshEnv('benchfshttp', { SHARDS: '64', LEASE_TTL_MS: '3000', LOG_LEVEL: 'warn', PAYMENT_LATENCY_MS: '0' });
  const pool = createPool(env.mysqlUrl, { connectionLimit: 2 });
  const procs: Proc[] = [];
  try {
    await new ProductRepository(pool).upsertMany(demoProducts(10));
    for (const w of demoWarehouses) await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
    await seedRoutes(pool);
    for (let i = 0; i < opts.nodes; i++) procs.push(await startApp(env.env, 'node', { NODE_ID: `bench-node-${i}`, ...benchCheckoutEnv }));
    const gw = await startApp(env.env, 'gateway', {
      PORT: '0', ADMIN_TOKEN: 'benchadmin', BENCH_ROUTES: '1', RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000',
    });
    procs.push(gw);
    const base = gw.url!;
    const sku = 'SKU-00001';

    say(`signing up ${Math.min(opts.concurrency, opts.buyers)} buyers (one per connection)`);
    const tokens: string[] = [];
    for (let i = 0; i < Math.min(opts.concurrency, opts.buyers); i++) {
      const r = await fetch(`${base}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `buyer${i}@bench.example`, password: 'benchmark-password', name: `Buyer ${i}` }) });
      tokens.push(((await r.json()) as { token: string }).token);
      await addAddress(base, tokens[tokens.length - 1]!);
    }
    const stocked = await fetch(`${base}/v1/admin/inventory/${sku}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer benchadmin' }, body: JSON.stringify({ warehouses: [{ warehouseId: 'wh-east', onHand: opts.stock }] }) });
    if (stocked.status !== 200) throw new Error(`could not set stock: ${stocked.status}`);

    say(`hello ceiling: ${opts.concurrency} connections for 5 s`);
    const hello = await autocannon({ url: `${base}/bench/hello`, connections: opts.concurrency, duration: 5 });

    say(`selling ${opts.stock} units to ${opts.buyers} buyers through checkout + pay, ${opts.concurrency} at a time`);
    const latencies = new Float64Array(opts.buyers);
    let next = 0;
    let ok = 0;
    let rejected = 0;
    let errors = 0;
    let firstError: string | undefined;
    const started = performance.now();
    await Promise.all(tokens.map(async (token) => {
      for (let i = next++; i < opts.buyers; i = next++) {
        const t0 = performance.now();
        try {
          const order = await post(`${base}/v1/checkout`, token, { items: [{ sku, qty: 1 }] });
          if (order.status === 409) rejected++;
          else if (order.status !== 201) throw new Error(`checkout ${order.status} ${JSON.stringify(order.body)}`);
          else {
            const paid = await post(`${base}/v1/orders/${String(order.body.orderId)}/pay`, token, { paymentMethod: { type: 'card', token: 'tok_ok' } });
            if (paid.status !== 200) throw new Error(`pay ${paid.status} ${JSON.stringify(paid.body)}`);
            ok++;
          }
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
        latencies[i] = performance.now() - t0;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort();
    const at = (q: number) => Number(latencies[Math.min(opts.buyers - 1, Math.floor(q * opts.buyers))]!.toFixed(2));
    const [[paidRow]] = (await pool.query("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'")) as unknown as [[{ n: number }]];
    const inv = (await (await fetch(`${base}/v1/inventory/${sku}`)).json()) as { onHand: number; reserved: number };
    const paidInDb = Number(paidRow.n);
    const result = {
      orders: ok, rejected, errors, oversold: Math.max(0, ok - opts.stock, paidInDb - opts.stock),
      ordersPerSec: Math.round(ok / seconds), attemptsPerSec: Math.round(opts.buyers / seconds), p50: at(0.5), p99: at(0.99), seconds: Number(seconds.toFixed(2)),
      paidInDb, onHandAfter: inv.onHand, reservedAfter: inv.reserved,
      helloPerSec: Math.round(hello.requests.average),
    };
    const ratio = Number((result.ordersPerSec / result.helloPerSec).toFixed(3));
    const requestRatio = Number(((result.ordersPerSec * 2 + (result.attemptsPerSec - result.ordersPerSec)) / result.helloPerSec).toFixed(3));
    if (firstError) say(`first error: ${firstError}`);
    process.stdout.write(`path            orders/s  attempts/s  p50 ms  p99 ms  paid  rejected  errors  oversold  hello req/s\n`);
    process.stdout.write(`checkout+pay ${String(result.ordersPerSec).padStart(11)} ${String(result.attemptsPerSec).padStart(11)} ${String(result.p50).padStart(7)} ${String(result.p99).padStart(7)} ${String(ok).padStart(5)} ${String(rejected).padStart(9)} ${String(errors).padStart(7)} ${String(result.oversold).padStart(9)} ${String(result.helloPerSec).padStart(12)}\n`);
    process.stdout.write(`orders/s ÷ hello req/s: ${ratio}; HTTP requests/s ÷ hello: ${requestRatio}\n`);
    process.stdout.write(`MariaDB: ${paidInDb} paid orders; stock after: onHand ${inv.onHand}, reserved ${inv.reserved}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ via: 'http', ...result, ratios: { 'orders/hello': ratio, 'requests/hello': requestRatio } })}\n`);
    const consistent = paidInDb === ok && inv.onHand === opts.stock - ok && inv.reserved === 0;
    if (!consistent) say(`MISMATCH: acknowledged ${ok}, paid in MariaDB ${paidInDb}, onHand ${inv.onHand}, reserved ${inv.reserved}`);
    return result.oversold > 0 || !consistent ? 1 : 0;
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await pool.end().catch(() => undefined);
    await env.cleanup();
  }
}
