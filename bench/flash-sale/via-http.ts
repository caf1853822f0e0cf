// `bench:flash-sale --via http`: the whole sale through the gateway's buy-now path — each
// attempt POSTs /v1/checkout for one unit, then pays — next to the `hello` ceiling (a bare
// Hono route) measured in the same run. Starts its own node(s) and gateway, or with
// `--url` aims at a running gateway. Reports orders/s, attempts/s, HdrHistogram
// percentiles of checkout+pay, CPU seconds per process and per order, and checks that
// MariaDB holds exactly the acknowledged paid orders and that nothing is left reserved.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { addAddress } from '../commerce-setup.ts';
import { Latencies } from '../support/histogram.ts';
import { measureCpu, perUnit, formatPerUnit } from '../support/cpu.ts';
import { LeanClient } from '../support/http-client.ts';
import { measureHello } from '../support/hello.ts';
import { startProgress } from '../support/progress.ts';
import { saveResult } from '../support/results.ts';
import { openTarget } from '../support/target.ts';
import { FailureLog, apiError, describeFindings, examineOrders, type OrderFindings } from './failures.ts';

export interface HttpSaleOptions {
  buyers: number;
  stock: number;
  concurrency: number;
  nodes: number;
  /** Processes started when there is no --url (see options.ts Roles). */
  roles: 'split' | 'all' | 'all-nats';
  json: boolean;
  url?: string;
  mysqlUrl?: string;
  sku?: string;
  adminToken?: string;
}

const say = (line: string) => process.stderr.write(`[flash-sale:http] ${line}\n`);

interface Inventory { onHand: number; reserved: number }

/** A bad run's process output, next to its saved result (`<result>.logs.txt`), for whoever explains it. */
function keepLogs(resultFile: string, logs: Record<string, string>): void {
  const names = Object.keys(logs);
  if (names.length === 0) return;
  const file = resultFile.replace(/\.json$/, '.logs.txt');
  writeFileSync(file, names.map((n) => `==== ${n}\n${logs[n]}`).join('\n'));
  say(`the processes' output is in ${file}`);
}

/** The gateway's count of checkouts its sold-out gate refused (undefined: not exposed, an older gateway). */
async function gateRefusals(client: LeanClient): Promise<number | undefined> {
  const metrics = await client.request('GET', '/metrics', {}).catch(() => undefined);
  const m = metrics?.status === 200 ? /^shop_checkout_sold_out_refusals_total (\d+)/m.exec(metrics.text) : null;
  return m ? Number(m[1]) : undefined;
}

export async function runHttpSale(opts: HttpSaleOptions): Promise<number> {
  const target = await openTarget({ ...(opts.url ? { url: opts.url } : {}), ...(opts.mysqlUrl ? { mysqlUrl: opts.mysqlUrl } : {}), ...(opts.adminToken ? { adminToken: opts.adminToken } : {}), nodes: opts.nodes, roles: opts.roles, products: 10, suite: 'benchfshttp' });
  const client = new LeanClient(target.url, opts.concurrency);
  try {
    const sku = opts.sku ?? 'SKU-00001';
    const run = randomBytes(3).toString('hex');
    const sellers = Math.min(opts.concurrency, opts.buyers);
    say(`signing up ${sellers} buyers (one per connection) at ${target.url}`);
    const buyers: { token: string; userId: string }[] = [];
    for (let i = 0; i < sellers; i += 8) {
      buyers.push(...await Promise.all(Array.from({ length: Math.min(8, sellers - i) }, async (_, j) => {
        const signup = { email: `buyer${i + j}-${run}@bench.example`, password: 'benchmark-password', name: `Buyer ${i + j}` };
        // A loaded machine may time a signup out: try again, and log in if the first one took.
        let r = await client.postJson('/v1/auth/signup', undefined, signup);
        for (let tries = 1; (r.status >= 500 || r.status === 409) && tries < 6; tries++) {
          await new Promise((res) => setTimeout(res, 1000 * tries));
          r = r.status === 409
            ? await client.postJson('/v1/auth/login', undefined, { email: signup.email, password: signup.password })
            : await client.postJson('/v1/auth/signup', undefined, signup);
          if (r.status === 200) r.status = 201;
        }
        if (r.status !== 201) throw new Error(`signup ${r.status} ${JSON.stringify(r.body)}`);
        await addAddress(target.url, String(r.body.token));
        return { token: String(r.body.token), userId: String(r.body.userId) };
      })));
    }
    const stocked = await client.request('PUT', `/v1/admin/inventory/${sku}`, { 'content-type': 'application/json', authorization: `Bearer ${target.adminToken}` },
      JSON.stringify({ warehouses: [{ warehouseId: 'wh-east', onHand: opts.stock }] }));
    if (stocked.status !== 200) throw new Error(`could not set stock (needs the admin token: --admin-token or ADMIN_TOKEN): ${stocked.status} ${stocked.text}`);

    say(`hello ceiling: ${opts.concurrency} connections for 5 s`);
    const hello = await measureHello(target.url, opts.concurrency, 5);
    if (!hello) say('the gateway does not serve /bench/hello (BENCH_ROUTES=1): no ratios');

    say(`selling ${opts.stock} units to ${opts.buyers} attempts through checkout + pay, ${opts.concurrency} at a time`);
    const latency = new Latencies();
    // The same attempts split by outcome: a paid order's checkout + pay, and a sold-out
    // answer (mostly the gateway's gate); the combined figure mixes the two.
    const paidLatency = new Latencies();
    // Paid attempts again, by quarter of the stock sold when each ended: is a p99 the first
    // seconds' (processes warming up, the JIT) or the whole sale's?
    const paidByQuarter = [new Latencies(), new Latencies(), new Latencies(), new Latencies()];
    const soldOutLatency = new Latencies();
    let next = 0;
    let ok = 0;
    let rejected = 0;
    const failures = new FailureLog();
    let requests = 0;
    const gateBefore = await gateRefusals(client);
    const cpu = measureCpu(target.pids);
    const started = performance.now();
    const progress = startProgress('sale', opts.buyers, () => ok + rejected + failures.count, 'attempts');
    await Promise.all(buyers.map(async ({ token, userId }) => {
      for (let i = next++; i < opts.buyers; i = next++) {
        const t0 = performance.now();
        let outcome: Latencies | undefined;
        let step: 'checkout' | 'pay' = 'checkout';
        let orderId: string | null = null;
        let checkoutMs = 0;
        const failed = (status: number, error: { code: string; message: string; requestId: string | null }) => failures.record({
          step, status, ...error, userId, orderId, startedAtMs: Math.round(t0 - started),
          checkoutMs: step === 'checkout' ? Math.round(performance.now() - t0) : checkoutMs,
          payMs: step === 'pay' ? Math.round(performance.now() - t0 - checkoutMs) : null,
        });
        try {
          requests++;
          const order = await client.postJson('/v1/checkout', token, { items: [{ sku, qty: 1 }] });
          checkoutMs = Math.round(performance.now() - t0);
          if (order.status === 409 && order.body.error && (order.body.error as { code?: string }).code === 'insufficient_stock') {
            rejected++;
            outcome = soldOutLatency;
          } else if (order.status !== 201) failed(order.status, apiError(order.body));
          else {
            requests++;
            step = 'pay';
            orderId = String(order.body.orderId);
            const paid = await client.postJson(`/v1/orders/${orderId}/pay`, token, { paymentMethod: { type: 'card', token: 'tok_ok' } });
            if (paid.status !== 200) failed(paid.status, apiError(paid.body));
            else {
              ok++;
              outcome = paidLatency;
            }
          }
        } catch (err) {
          // No reply at all (the connection failed or timed out).
          failed(0, { code: 'no_reply', message: String((err as Error).message).slice(0, 200), requestId: null });
        }
        const took = performance.now() - t0;
        latency.record(took);
        outcome?.record(took);
        if (outcome === paidLatency) paidByQuarter[Math.min(3, Math.floor((4 * (ok - 1)) / opts.stock))]!.record(took);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    progress.stop();
    const cpuSeconds = cpu.stop();
    const lat = latency.summary();
    const paidLat = paidLatency.summary();
    const soldOutLat = soldOutLatency.summary();

    const gateAfter = await gateRefusals(client);
    const gateRefused = gateBefore === undefined || gateAfter === undefined ? null : gateAfter - gateBefore;
    const inv = JSON.parse((await client.request('GET', `/v1/inventory/${sku}`, {})).text) as Inventory;
    let paidInDb: number | undefined;
    if (target.pool) {
      const [rows] = await target.pool.query("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND user_id IN (?)", [buyers.map((b) => b.userId)]);
      paidInDb = Number((rows as { n: number }[])[0]?.n ?? 0);
    }
    // Read after the sale, so what the database shows is where each failed order ended up.
    const findings: OrderFindings[] = target.pool && failures.samples.length > 0 ? await examineOrders(target.pool, failures.samples) : [];
    const ordersPerSec = Math.round(ok / seconds);
    const attemptsPerSec = Math.round(opts.buyers / seconds);
    const result = {
      via: 'http', url: opts.url ?? null, sku, buyers: opts.buyers, stock: opts.stock, concurrency: opts.concurrency, nodes: opts.nodes, roles: opts.url ? null : opts.roles,
      orders: ok, rejected, gateRefused, errors: failures.count, errorKinds: Object.fromEntries(failures.kinds), failures: failures.samples, failedOrders: findings,
      oversold: Math.max(0, ok - opts.stock, (paidInDb ?? 0) - opts.stock),
      ordersPerSec, attemptsPerSec, requestsPerSec: Math.round(requests / seconds), seconds: Number(seconds.toFixed(2)),
      latencyMs: lat,
      latencyMsPaid: paidLat,
      latencyMsPaidByQuarter: paidByQuarter.map((q) => q.summary()),
      latencyMsSoldOut: soldOutLat,
      paidInDb: paidInDb ?? null, onHandAfter: inv.onHand, reservedAfter: inv.reserved,
      hello: hello ?? null,
      cpuSeconds, cpuMsPerOrder: perUnit(cpuSeconds, ok),
      ratios: hello ? {
        'orders/hello': Number((ordersPerSec / hello.perSec).toFixed(4)),
        'requests/hello': Number((requests / seconds / hello.perSec).toFixed(4)),
      } : null,
    };
    if (failures.count > 0) {
      say(`failed attempts: ${failures.summary()}`);
      for (const f of failures.samples.slice(0, 5)) {
        say(`  ${f.step} ${f.status} ${f.code} at ${f.startedAtMs} ms into the sale (checkout ${f.checkoutMs} ms${f.payMs === null ? '' : `, pay ${f.payMs} ms`}), request ${f.requestId ?? '-'}: ${f.message}`);
      }
      for (const o of findings.slice(0, 5)) say(`  in MariaDB after the sale: ${describeFindings(o)}`);
    }
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`path          orders/s  attempts/s  p50 ms  p99 ms  p99.9 ms  max ms  paid  rejected  errors  oversold  hello req/s`);
    out(`checkout+pay ${String(ordersPerSec).padStart(9)} ${String(attemptsPerSec).padStart(11)} ${String(lat.p50).padStart(7)} ${String(lat.p99).padStart(7)} ${String(lat.p999).padStart(9)} ${String(lat.max).padStart(7)} ${String(ok).padStart(5)} ${String(rejected).padStart(9)} ${String(failures.count).padStart(7)} ${String(result.oversold).padStart(9)} ${String(hello?.perSec ?? 'n/a').padStart(12)}`);
    const row = (name: string, l: typeof lat) => out(`  ${name.padEnd(11)} ${String(l.count).padStart(6)} attempts: mean ${l.mean} ms, p50 ${l.p50}, p99 ${l.p99}, p99.9 ${l.p999}, max ${l.max}`);
    row('paid', paidLat);
    out(`  paid, by quarter of the stock sold: p50 ${result.latencyMsPaidByQuarter.map((q) => q.p50).join(' / ')} ms; p99 ${result.latencyMsPaidByQuarter.map((q) => q.p99).join(' / ')} ms`);
    row('sold out', soldOutLat);
    if (gateRefused !== null) out(`of the ${rejected} sold-out answers, ${gateRefused} came from the gateway's sold-out gate (SOLD_OUT_GATE_MS) without reaching the cluster`);
    if (result.ratios) out(`orders/s ÷ hello req/s: ${result.ratios['orders/hello']}; HTTP requests/s ÷ hello: ${result.ratios['requests/hello']}`);
    out(`sale took ${result.seconds} s; CPU seconds: ${Object.entries(cpuSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out(`CPU ms per paid order: ${formatPerUnit(result.cpuMsPerOrder)} (servers shared with other users of this machine count their load too)`);
    out(`MariaDB: ${paidInDb ?? 'not checked (give --mysql-url)'} paid orders; stock after: onHand ${inv.onHand}, reserved ${inv.reserved}`);
    const saved = saveResult('flash-sale-http', result);
    if (opts.json) out(JSON.stringify(result));
    const consistent = (paidInDb === undefined || paidInDb === ok) && inv.onHand === opts.stock - ok && inv.reserved === 0;
    if (!consistent) say(`MISMATCH: acknowledged ${ok}, paid in MariaDB ${paidInDb}, onHand ${inv.onHand} (expected ${opts.stock - ok}), reserved ${inv.reserved}`);
    if (failures.count > 0 || !consistent) keepLogs(saved, target.logs());
    return result.oversold > 0 || !consistent ? 1 : 0;
  } finally {
    await client.close();
    await target.close();
  }
}
