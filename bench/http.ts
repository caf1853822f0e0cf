// bench:http — the gateway under load with autocannon, in one run: `hello` (a bare Hono
// route, the ceiling), `inventory-read`, `cart` (add/get for many users) and `flash-sale`
// (many buyers checking one SKU out through the buy-now path, POST /v1/checkout).
// Starts its own node and gateway on a fresh database and cluster name, or aims at a
// running gateway with `--url`; prints req/s, p50/p99, CPU ms per request per process and
// the ratio to `hello` per scenario; saves the result under bench/results/; `--json` adds
// one JSON line at the end.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { addAddress } from './commerce-setup.ts';
import { measureCpu, perUnit, formatPerUnit } from './support/cpu.ts';
import { saveResult } from './support/results.ts';
import { openTarget } from './support/target.ts';

const usage = `usage: bench/http.ts [--duration S] [--warmup S] [--connections N] [--users N] [--only a,b] [--roles split|all|all-nats] [--url URL --admin-token T [--mysql-url U]] [--json]`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' }, connections: { type: 'string', default: '64' }, users: { type: 'string', default: '200' },
      only: { type: 'string' }, roles: { type: 'string', default: 'split' }, url: { type: 'string' }, 'admin-token': { type: 'string' }, 'mysql-url': { type: 'string' }, json: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${usage}\n`);
  process.exit(2);
}
const duration = Number(values.duration);
const connections = Number(values.connections);
const users = Number(values.users);
// Seconds of each scenario's load before its measured run, so that neither hello nor a
// scenario is measured while V8 still compiles its path (its first seconds ran a fifth
// slower). The cart warm-up's lines are removed again before the measured run.
const warmup = Number(values.warmup);
if (![duration, connections, users].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write(`--duration, --connections and --users are whole numbers above 0, --warmup one from 0\n${usage}\n`);
  process.exit(2);
}
// The processes started (without --url): a node and a gateway, or one process with both
// roles whose asks to its own shards skip NATS (all), or that with LOCAL_DELIVERY=0 (all-nats).
const roles = values.roles;
if (roles !== 'split' && roles !== 'all' && roles !== 'all-nats') {
  process.stderr.write(`--roles: "${roles}" is not split, all or all-nats\n${usage}\n`);
  process.exit(2);
}
const scenarios = ['hello', 'inventory-read', 'cart', 'flash-sale'];
const only = values.only ? values.only.split(',') : scenarios;
const unknown = only.filter((name) => !scenarios.includes(name));
if (unknown.length > 0) {
  // A misspelt name ran nothing, saved an empty result, and bench:compare then compared against it.
  process.stderr.write(`--only: no scenario ${unknown.map((n) => `"${n}"`).join(', ')} (there are ${scenarios.join(', ')})\n${usage}\n`);
  process.exit(2);
}
const say = (line: string) => process.stderr.write(`[bench:http] ${line}\n`);

/** A set-up step the target refused, for a reason the operator can change. */
class BenchSetupError extends Error {}

interface Row { scenario: string; rps: number; p50: number; p99: number; p999: number; max: number; non2xx: number; errors: number; ratio?: number; cpuMsPerRequest: Record<string, number> }

const target = await openTarget({
  ...(values.url ? { url: values.url } : {}), ...(values['admin-token'] ? { adminToken: values['admin-token'] } : {}),
  ...(values['mysql-url'] ? { mysqlUrl: values['mysql-url'] } : {}), nodes: 1, roles, products: 300, suite: 'benchhttp', env: { PAYMENT_LATENCY_MS: '20' },
});

function runCannon(name: string, opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    let seconds = 0;
    let responses = 0;
    let last = 0;
    let lastAt = performance.now();
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', () => void responses++);
    instance.on('tick', () => {
      seconds++;
      if (seconds % 2 === 0) {
        // Over the time that really passed: a tick after the run's end covers less than 2 s.
        const now = performance.now();
        say(`${name}: ${Math.min(seconds, duration)}/${duration} s, ${Math.round((responses - last) / ((now - lastAt) / 1000))} req/s`);
        last = responses;
        lastAt = now;
      }
    });
  });
}

/** `afterWarmup`: puts back what the warm-up changed that the measured run should not meet. */
async function run(name: string, opts: Partial<autocannon.Options> & { url: string }, afterWarmup?: () => Promise<void>): Promise<Row> {
  if (warmup > 0) {
    say(`${name}: warm-up, ${connections} connections for ${warmup} s (not counted)`);
    await autocannon({ connections, duration: warmup, pipelining: 1, ...opts });
    await afterWarmup?.();
  }
  say(`${name}: ${connections} connections for ${duration} s`);
  const cpu = measureCpu(target.pids);
  const r = await runCannon(name, { connections, duration, pipelining: 1, ...opts });
  const requests = r.requests.total;
  return {
    scenario: name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, p999: r.latency.p99_9, max: r.latency.max,
    non2xx: r.non2xx, errors: r.errors + r.timeouts, cpuMsPerRequest: perUnit(cpu.stop(), requests),
  };
}

/**
 * Removes every line of the users' carts, so that the measured cart run starts from empty
 * carts as it would without a warm-up (the carts grow as it runs, and larger carts cost more).
 */
async function emptyCarts(url: string, tokens: string[]): Promise<void> {
  for (let i = 0; i < tokens.length; i += 10) {
    await Promise.all(tokens.slice(i, i + 10).map(async (token) => {
      const auth = { authorization: `Bearer ${token}` };
      const res = await fetch(`${url}/v1/cart`, { headers: auth });
      if (res.status !== 200) throw new Error(`emptying the carts after the warm-up: GET /v1/cart ${res.status} ${await res.text()}`);
      for (const { sku } of ((await res.json()) as { items: { sku: string }[] }).items) {
        const del = await fetch(`${url}/v1/cart/items/${encodeURIComponent(sku)}`, { method: 'DELETE', headers: auth });
        if (del.status >= 300) throw new Error(`emptying the carts after the warm-up: DELETE ${sku} ${del.status} ${await del.text()}`);
        await del.arrayBuffer();
      }
    }));
  }
}

try {
  const url = target.url;
  const admin = { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' };
  for (const sku of ['SKU-00001', 'SKU-00002']) {
    const res = await fetch(`${url}/v1/admin/inventory/${sku}`, { method: 'PUT', headers: admin, body: JSON.stringify({ warehouses: [{ warehouseId: 'wh-east', onHand: 1_000_000 }] }) });
    if (res.status !== 200) throw new BenchSetupError(`stock set-up failed (needs the admin token, --admin-token): ${res.status} ${await res.text()}`);
  }
  say(`signing up ${users} users`);
  const runId = randomBytes(3).toString('hex');
  const tokens: string[] = [];
  for (let i = 0; i < users; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, users - i) }, async (_, j) => {
      const res = await fetch(`${url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench${i + j}-${runId}@example.com`, password: 'password123', name: 'Bench' }) });
      if (res.status === 429) throw new BenchSetupError(`signing up the bench's users was refused (429): start the target with RATE_LIMIT_AUTH_PER_MIN and RATE_LIMIT_PER_SEC high (docs/performance.md, "Against a running gateway"), or pass a smaller --users`);
      if (res.status !== 201) throw new BenchSetupError(`signup failed: ${res.status} ${await res.text()}`);
      const token = ((await res.json()) as { token: string }).token;
      await addAddress(url, token);
      return token;
    }));
    tokens.push(...batch);
  }
  // Warm up: activate the entities so the first scenario does not pay for activation.
  await autocannon({ url: `${url}/v1/inventory/SKU-00002`, connections: 8, amount: 2000 });

  const rows: Row[] = [];
  // Against a running gateway without BENCH_ROUTES=1, /bench/hello is a 404: measuring it
  // would print a ceiling of error answers, and every ratio against it.
  const helloServed = (await fetch(`${url}/bench/hello`).then((r) => r.status, () => 0)) === 200;
  if (only.includes('hello') && !helloServed) say('hello: skipped, the gateway does not serve /bench/hello (start it with BENCH_ROUTES=1); no ratios are printed');
  if (only.includes('hello') && helloServed) rows.push(await run('hello', { url: `${url}/bench/hello` }));
  if (only.includes('inventory-read')) rows.push(await run('inventory-read', { url: `${url}/v1/inventory/SKU-00002` }));
  let n = 0;
  let cartWrites = 0;
  if (only.includes('cart')) {
    rows.push(await run('cart', {
      url,
      requests: [{
        setupRequest: (req) => {
          const k = n++;
          // Each user in turn adds (a random SKU, so lines grow) and then reads: half adds,
          // half reads of carts that grow. (Taking the user as k % users sent every read to
          // the same half of the users, whose carts stayed empty.)
          const token = tokens[Math.floor(k / 2) % tokens.length]!;
          if (k % 2 === 0) {
            cartWrites++;
            const sku = `SKU-${String(1 + Math.floor(Math.random() * 300)).padStart(5, '0')}`;
            return { ...req, method: 'POST', path: '/v1/cart/items', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sku, qty: 1 }) };
          }
          return { ...req, method: 'GET', path: '/v1/cart', headers: { authorization: `Bearer ${token}` } };
        },
      }],
    }, () => emptyCarts(url, tokens)));
  }
  // The buy-now path: many users each checking one unit of one SKU out (an order with its
  // reservation); paying is measured by `bench:flash-sale --via http`.
  let m = 0;
  if (only.includes('flash-sale')) {
    rows.push(await run('flash-sale', {
      url,
      requests: [{
        setupRequest: (req) => {
          const token = tokens[m++ % tokens.length]!;
          return { ...req, method: 'POST', path: '/v1/checkout', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ sku: 'SKU-00001', qty: 1 }] }) };
        },
      }],
    }));
  }
  let reserved: number | null = null;
  if (target.pool && only.includes('flash-sale')) {
    const [sold] = await target.pool.query("SELECT COUNT(*) AS n FROM orders WHERE status = 'pending_payment'");
    reserved = Number((sold as { n: number }[])[0]?.n ?? 0);
  }

  const hello = rows.find((r) => r.scenario === 'hello')?.rps;
  for (const r of rows) if (hello) r.ratio = Math.round((r.rps / hello) * 1000) / 1000;
  const pad = (v: unknown, w: number) => String(v ?? '-').padStart(w);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`\n${'scenario'.padEnd(16)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('p99.9', 9)}${pad('max ms', 9)}${pad('non-2xx', 9)}${pad('errors', 8)}${pad('× hello', 9)}`);
  for (const r of rows) out(`${r.scenario.padEnd(16)}${pad(r.rps, 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad(r.p999, 9)}${pad(r.max, 9)}${pad(r.non2xx, 9)}${pad(r.errors, 8)}${pad(r.ratio, 9)}`);
  out('\nCPU ms per request (servers shared with other users of this machine count their load too):');
  for (const r of rows) out(`  ${r.scenario.padEnd(15)} ${formatPerUnit(r.cpuMsPerRequest)}`);
  // A rate a target mostly refused is not its throughput.
  for (const r of rows) {
    if (r.rps > 0 && r.non2xx > 0.1 * r.rps * duration) out(`WARNING ${r.scenario}: ${r.non2xx} answers were not 2xx (a target's rate limits answer 429: see docs/performance.md, "Against a running gateway")`);
  }
  if (reserved !== null) out(`\nflash-sale: ${reserved} orders placed (stock reserved) in MariaDB, warm-up included`);
  out(`${connections} connections, ${duration} s per scenario after ${warmup} s of warm-up, ${users} cart users, ${cartWrites} cart adds sent (warm-ups included)`);
  const readRatio = rows.find((r) => r.scenario === 'inventory-read')?.ratio;
  const cartRatio = rows.find((r) => r.scenario === 'cart')?.ratio;
  if (readRatio !== undefined) out(`target inventory-read ≥ 0.5 × hello: ${readRatio >= 0.5 ? 'met' : 'NOT met'}`);
  if (cartRatio !== undefined) out(`target cart ≥ 0.2 × hello: ${cartRatio >= 0.2 ? 'met' : 'NOT met'}`);
  const result = { bench: 'http', url: values.url ?? null, duration, warmup, connections, users, scenarios: rows, flashSaleReserved: reserved, inventoryReadTargetMet: readRatio === undefined ? null : readRatio >= 0.5, cartTargetMet: cartRatio === undefined ? null : cartRatio >= 0.2 };
  saveResult('http', result);
  if (values.json) out(JSON.stringify(result));
} catch (err) {
  // What the operator must change, without a stack trace.
  if (!(err instanceof BenchSetupError)) throw err;
  process.stderr.write(`[bench:http] ${err.message}\n`);
  process.exitCode = 1;
} finally {
  await target.close();
}
