// `bench:flash-sale --via http`: the whole sale through the gateway's buy-now path — each
// attempt POSTs /v1/checkout for one unit, then pays — next to the `hello` ceiling (a bare
// Hono route) measured in the same run. Starts its own node(s) and gateway, or with
// `--url` aims at a running gateway. Reports orders/s, attempts/s, HdrHistogram
// percentiles of checkout+pay, CPU seconds per process and per order, and checks that
// MariaDB holds exactly the acknowledged paid orders and that nothing is left reserved.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { addAddress } from '../commerce-setup.ts';
import { Latencies, type Percentiles } from '../support/histogram.ts';
import type { Pool } from '../../stores/mysql/index.ts';
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
  /** Attempts of a warm-up sale (half as many units) on the same SKU before the measured one; 0: none. */
  warmup: number;
}

const say = (line: string) => process.stderr.write(`[flash-sale:http] ${line}\n`);

interface Inventory { onHand: number; reserved: number; warehouses: { warehouseId: string; reserved?: number }[] }

/** A bad run's process output, next to its saved result (`<result>.logs.txt`), for whoever explains it. */
function keepLogs(resultFile: string, logs: Record<string, string>): void {
  const names = Object.keys(logs);
  if (names.length === 0) return;
  const file = resultFile.replace(/\.json$/, '.logs.txt');
  writeFileSync(file, names.map((n) => `==== ${n}\n${logs[n]}`).join('\n'));
  say(`the processes' output is in ${file}`);
}

/**
 * The gateway's counts: checkouts its sold-out gate refused, and token checks answered from
 * its live-session cache or asked of a session entity (undefined: not exposed, an older gateway).
 */
async function gatewayCounts(client: LeanClient): Promise<{ gate?: number; sessionHits?: number; sessionAsks?: number }> {
  const metrics = await client.request('GET', '/metrics', {}).catch(() => undefined);
  const read = (name: string) => {
    const m = metrics?.status === 200 ? new RegExp(`^${name} (\\d+)`, 'm').exec(metrics.text) : null;
    return m ? Number(m[1]) : undefined;
  };
  return { gate: read('shop_checkout_sold_out_refusals_total'), sessionHits: read('shop_session_cache_hits'), sessionAsks: read('shop_session_cache_asks') };
}

const delta = (after: number | undefined, before: number | undefined) => (after === undefined || before === undefined ? null : after - before);

interface Buyer { token: string; userId: string }

/** One sale's attempts, split by outcome (a paid order's checkout + pay; a sold-out answer). */
interface Sale {
  ok: number;
  rejected: number;
  failures: FailureLog;
  requests: number;
  seconds: number;
  all: Latencies;
  paid: Latencies;
  /** Paid attempts again, by quarter of the stock sold when each ended: is a p99 the first seconds' or the whole sale's? */
  paidByQuarter: Latencies[];
  /** Paid attempts by the second of the sale in which each ended: a stall shows as one slow second. */
  paidBySecond: Latencies[];
  /** A paid attempt's two requests apart: which of them holds the tail. */
  paidCheckout: Latencies;
  paidPay: Latencies;
  soldOut: Latencies;
}

interface WarmupResult { attempts: number; units: number; seconds: number; paid: number; errors: number; latencyMsPaid: Percentiles }

/**
 * Makes `onHand` units of `sku` the whole stock on sale: in wh-east, and none in any other
 * warehouse. A PUT sets only the warehouses it names, and the demo catalog stocks most SKUs
 * in several: with the others left as they were, buyers also bought those units, and a
 * clean sale against a running demo system (--url, any --sku but the few stocked only in
 * wh-east) was reported as oversold, a MISMATCH and exit 1.
 */
export async function setStock(client: LeanClient, adminToken: string, sku: string, onHand: number): Promise<void> {
  const current = await client.request('GET', `/v1/inventory/${sku}`, {});
  if (current.status !== 200 && current.status !== 404) throw new Error(`could not read ${sku}'s stock before setting it: ${current.status} ${current.text.slice(0, 300)}`);
  const others = current.status === 200 ? (JSON.parse(current.text) as Inventory).warehouses.filter((w) => w.warehouseId !== 'wh-east') : [];
  // A warehouse's stock cannot go below what its open orders hold (409 stock_below_reserved
  // on a running system): those units stay held, and none beyond them is on sale.
  const held = others.filter((w) => (w.reserved ?? 0) > 0);
  if (held.length > 0) process.stderr.write(`note: ${held.map((w) => `${w.reserved} unit(s) in ${w.warehouseId}`).join(', ')} held by open orders stay held; none beyond them is on sale\n`);
  const warehouses = [{ warehouseId: 'wh-east', onHand }, ...others.map((w) => ({ warehouseId: w.warehouseId, onHand: w.reserved ?? 0 }))];
  const stocked = await client.request('PUT', `/v1/admin/inventory/${sku}`, { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    JSON.stringify({ warehouses }));
  if (stocked.status === 401 || stocked.status === 403) throw new Error(`could not set stock: ${stocked.status} (needs the admin token: --admin-token or ADMIN_TOKEN)`);
  if (stocked.status !== 200) throw new Error(`could not set stock: ${stocked.status} ${stocked.text.slice(0, 300)}`);
}

async function paidOrders(pool: Pool, buyers: Buyer[]): Promise<number> {
  const [rows] = await pool.query("SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND user_id IN (?)", [buyers.map((b) => b.userId)]);
  return Number((rows as { n: number }[])[0]?.n ?? 0);
}

/** `attempts` checkouts of one unit of `sku` (each paid when it got stock), one per buyer in flight at a time. */
async function sell(client: LeanClient, buyers: Buyer[], sku: string, attempts: number, units: number, label: string): Promise<Sale> {
  const sale: Sale = {
    ok: 0, rejected: 0, failures: new FailureLog(), requests: 0, seconds: 0,
    all: new Latencies(), paid: new Latencies(), paidByQuarter: [new Latencies(), new Latencies(), new Latencies(), new Latencies()], paidBySecond: [], paidCheckout: new Latencies(), paidPay: new Latencies(), soldOut: new Latencies(),
  };
  const { failures } = sale;
  let next = 0;
  const started = performance.now();
  const progress = startProgress(label, attempts, () => sale.ok + sale.rejected + failures.count, 'attempts');
  await Promise.all(buyers.map(async ({ token, userId }) => {
    for (let i = next++; i < attempts; i = next++) {
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
        sale.requests++;
        const order = await client.postJson('/v1/checkout', token, { items: [{ sku, qty: 1 }] });
        checkoutMs = Math.round(performance.now() - t0);
        if (order.status === 409 && order.body.error && (order.body.error as { code?: string }).code === 'insufficient_stock') {
          sale.rejected++;
          outcome = sale.soldOut;
        } else if (order.status !== 201) failed(order.status, apiError(order.body));
        else {
          sale.requests++;
          step = 'pay';
          orderId = String(order.body.orderId);
          const paid = await client.postJson(`/v1/orders/${orderId}/pay`, token, { paymentMethod: { type: 'card', token: 'tok_ok' } });
          if (paid.status !== 200) failed(paid.status, apiError(paid.body));
          else {
            sale.ok++;
            outcome = sale.paid;
          }
        }
      } catch (err) {
        // No reply at all (the connection failed or timed out).
        failed(0, { code: 'no_reply', message: String((err as Error).message).slice(0, 200), requestId: null });
      }
      const took = performance.now() - t0;
      sale.all.record(took);
      outcome?.record(took);
      if (outcome === sale.paid) {
        sale.paidByQuarter[Math.min(3, Math.floor((4 * (sale.ok - 1)) / Math.max(1, units)))]!.record(took);
        (sale.paidBySecond[Math.floor((t0 + took - started) / 1000)] ??= new Latencies()).record(took);
        sale.paidCheckout.record(checkoutMs);
        sale.paidPay.record(took - checkoutMs);
      }
    }
  }));
  sale.seconds = (performance.now() - started) / 1000;
  progress.stop();
  return sale;
}

export async function runHttpSale(opts: HttpSaleOptions): Promise<number> {
  const target = await openTarget({ ...(opts.url ? { url: opts.url } : {}), ...(opts.mysqlUrl ? { mysqlUrl: opts.mysqlUrl } : {}), ...(opts.adminToken ? { adminToken: opts.adminToken } : {}), nodes: opts.nodes, roles: opts.roles, products: 10, suite: 'benchfshttp' });
  const client = new LeanClient(target.url, opts.concurrency);
  try {
    const sku = opts.sku ?? 'SKU-00001';
    const run = randomBytes(3).toString('hex');
    const sellers = Math.min(opts.concurrency, opts.buyers);
    say(`signing up ${sellers} buyers (one per connection) at ${target.url}`);
    const buyers: Buyer[] = [];
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
    say(`hello ceiling: ${opts.concurrency} connections for 5 s`);
    const hello = await measureHello(target.url, opts.concurrency, 5);
    if (!hello) say('the gateway does not serve /bench/hello (BENCH_ROUTES=1): no ratios');

    // A warm-up sale first, on the same SKU: freshly started processes spend their first
    // seconds compiling (V8 tiers up the hot paths), which is a cost of starting a process,
    // not of a flash sale, and it made most of the sale's p99 (see docs/performance.md).
    let warmup: WarmupResult | null = null;
    if (opts.warmup > 0) {
      const units = Math.floor(opts.warmup / 2);
      say(`warm-up: ${units} units to ${opts.warmup} attempts (not counted below; --warmup 0 to skip)`);
      await setStock(client, target.adminToken, sku, units);
      const w = await sell(client, buyers, sku, opts.warmup, units, 'warm-up');
      warmup = { attempts: opts.warmup, units, seconds: Number(w.seconds.toFixed(2)), paid: w.ok, errors: w.failures.count, latencyMsPaid: w.paid.summary() };
      if (w.failures.count > 0) say(`warm-up failed attempts: ${w.failures.summary()}`);
      // Past the gateway's sold-out memory (SOLD_OUT_GATE_MS, 250 ms by default), so that the
      // sale's first buyers reach the restocked SKU.
      await new Promise((res) => setTimeout(res, 600));
    }
    const paidBefore = target.pool ? await paidOrders(target.pool, buyers) : undefined;
    await setStock(client, target.adminToken, sku, opts.stock);

    say(`selling ${opts.stock} units to ${opts.buyers} attempts through checkout + pay, ${opts.concurrency} at a time`);
    const countsBefore = await gatewayCounts(client);
    const cpu = measureCpu(target.pids);
    const sale = await sell(client, buyers, sku, opts.buyers, opts.stock, 'sale');
    const { ok, rejected, failures, requests, seconds } = sale;
    const cpuSeconds = cpu.stop();
    const lat = sale.all.summary();
    const paidLat = sale.paid.summary();
    const soldOutLat = sale.soldOut.summary();

    const countsAfter = await gatewayCounts(client);
    const gateRefused = delta(countsAfter.gate, countsBefore.gate);
    const sessionChecks = { cached: delta(countsAfter.sessionHits, countsBefore.sessionHits), asked: delta(countsAfter.sessionAsks, countsBefore.sessionAsks) };
    const stockRead = await client.request('GET', `/v1/inventory/${sku}`, {});
    // An error body read as stock printed "onHand undefined" and a MISMATCH (a 429 from a target's rate limit).
    if (stockRead.status !== 200) throw new Error(`could not read ${sku}'s stock after the sale: ${stockRead.status} ${stockRead.text.slice(0, 300)}`);
    const inv = JSON.parse(stockRead.text) as Inventory;
    let paidInDb: number | undefined;
    if (target.pool) {
      paidInDb = (await paidOrders(target.pool, buyers)) - (paidBefore ?? 0);
    }
    // Read after the sale, so what the database shows is where each failed order ended up.
    const findings: OrderFindings[] = target.pool && failures.samples.length > 0 ? await examineOrders(target.pool, failures.samples) : [];
    const ordersPerSec = Math.round(ok / seconds);
    const attemptsPerSec = Math.round(opts.buyers / seconds);
    const result = {
      via: 'http', url: opts.url ?? null, sku, buyers: opts.buyers, stock: opts.stock, concurrency: opts.concurrency, nodes: opts.nodes, roles: opts.url ? null : opts.roles,
      orders: ok, rejected, gateRefused, sessionChecks, errors: failures.count, errorKinds: Object.fromEntries(failures.kinds), failures: failures.samples, failedOrders: findings,
      oversold: Math.max(0, ok - opts.stock, (paidInDb ?? 0) - opts.stock),
      ordersPerSec, attemptsPerSec, requestsPerSec: Math.round(requests / seconds), seconds: Number(seconds.toFixed(2)),
      latencyMs: lat,
      latencyMsPaid: paidLat,
      latencyMsPaidByQuarter: sale.paidByQuarter.map((q) => q.summary()),
      latencyMsPaidCheckout: sale.paidCheckout.summary(),
      latencyMsPaidPay: sale.paidPay.summary(),
      // Seconds in which no paid attempt ended are null.
      latencyMsPaidBySecond: Array.from(sale.paidBySecond, (l) => l?.summary() ?? null),
      warmup,
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
    if (warmup) out(`warm-up before the sale (not counted): ${warmup.paid} paid of ${warmup.attempts} attempts in ${warmup.seconds.toFixed(2)} s, paid p50 ${warmup.latencyMsPaid.p50} ms, p99 ${warmup.latencyMsPaid.p99} ms${warmup.errors > 0 ? `, ${warmup.errors} failed` : ''}`);
    row('paid', paidLat);
    out(`  paid, its checkout / its pay: p50 ${result.latencyMsPaidCheckout.p50} / ${result.latencyMsPaidPay.p50} ms; p99 ${result.latencyMsPaidCheckout.p99} / ${result.latencyMsPaidPay.p99} ms`);
    out(`  paid, by quarter of the stock sold: p50 ${result.latencyMsPaidByQuarter.map((q) => q.p50).join(' / ')} ms; p99 ${result.latencyMsPaidByQuarter.map((q) => q.p99).join(' / ')} ms`);
    out(`  paid p99 by second of the sale: ${result.latencyMsPaidBySecond.map((q) => (q ? Math.round(q.p99) : '-')).join(' ')} ms`);
    row('sold out', soldOutLat);
    if (gateRefused !== null) out(`of the ${rejected} sold-out answers, ${gateRefused} came from the gateway's sold-out gate (SOLD_OUT_GATE_MS) without reaching the cluster`);
    if (sessionChecks.cached !== null && sessionChecks.asked !== null) {
      out(`token checks: ${sessionChecks.cached} answered from the gateway's live-session cache, ${sessionChecks.asked} asked of a session entity`);
    }
    if (result.ratios) out(`orders/s ÷ hello req/s: ${result.ratios['orders/hello']}; HTTP requests/s ÷ hello: ${result.ratios['requests/hello']}`);
    out(`sale took ${result.seconds} s; CPU seconds: ${Object.entries(cpuSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out(`CPU ms per paid order: ${formatPerUnit(result.cpuMsPerOrder)} (servers shared with other users of this machine count their load too)`);
    out(`MariaDB: ${paidInDb ?? 'not checked (give --mysql-url)'} paid orders; stock after: onHand ${inv.onHand}, reserved ${inv.reserved}`);
    const saved = saveResult('flash-sale-http', result);
    if (opts.json) out(JSON.stringify(result));
    const consistent = (paidInDb === undefined || paidInDb === ok) && inv.onHand === opts.stock - ok && inv.reserved === 0;
    if (!consistent) say(`MISMATCH: acknowledged ${ok}, paid in MariaDB ${paidInDb}, onHand ${inv.onHand} (expected ${opts.stock - ok}), reserved ${inv.reserved}`);
    if (failures.count > 0 || !consistent || (warmup?.errors ?? 0) > 0) keepLogs(saved, target.logs());
    return result.oversold > 0 || !consistent || (warmup?.errors ?? 0) > 0 ? 1 : 0;
  } finally {
    await client.close();
    await target.close();
  }
}
