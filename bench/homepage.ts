// bench:homepage — the homepage under load with autocannon, next to `hello` (a bare Hono
// route, the ceiling) in the same run: anonymous pages from several countries, the 304
// path (If-None-Match), and logged-in pages with the per-request `for_you` block. Starts
// its own node and gateway (own cluster name and database, dropped afterwards); prints
// req/s, p50/p99 and the ratio to hello; `--json` adds one JSON line at the end.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { createPool } from '../stores/mysql/index.ts';
import { demoWarehouses } from '../app/demo.ts';
import { eventually, freshEnv, startProcess } from '../test/support/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const json = args.includes('--json');
const duration = flag('duration', 8);
const connections = flag('connections', 64);
const users = flag('users', 100);
// `--only personal,304`: hello (the baseline) and the named scenarios, for a profile of one path.
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').map((s) => `homepage-${s}`)) : undefined;
const wanted = (name: string) => !only || only.has(name);
const say = (line: string) => process.stderr.write(`[bench:homepage] ${line}\n`);

/** A set-up call; a 503 (a loaded machine, a shared MariaDB out of connections) is retried. */
async function setUpFetch(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 20) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Row { scenario: string; rps: number; p50: number; p99: number; non2xx: number; errors: number; cpuUsPerReq: number; ratio?: number }

/** CPU time (user + system) a process has used, in µs, from /proc (Linux). */
function cpuMicros(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}
let gatewayPid: number | undefined;

async function run(name: string, opts: Partial<autocannon.Options> & { url: string }, expect = 200): Promise<Row | undefined> {
  if (name !== 'hello' && !wanted(name)) return undefined;
  say(`${name}: ${connections} connections for ${duration} s`);
  const cpuBefore = cpuMicros(gatewayPid);
  const r = await autocannon({ connections, duration, pipelining: 1, ...opts });
  // The gateway's own CPU per request: what the route costs, whatever else the machine runs.
  const cpuUsPerReq = r.requests.total > 0 ? Math.round((cpuMicros(gatewayPid) - cpuBefore) / r.requests.total) : 0;
  // A 304 is the expected answer of the conditional scenario; count what was not expected.
  const unexpected = expect === 304 ? r.requests.total - (r.statusCodeStats?.['304']?.count ?? 0) : r.non2xx;
  return { scenario: name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: unexpected, errors: r.errors + r.timeouts, cpuUsPerReq };
}

// Addresses the packaged GeoIP database places in four countries, and one it places nowhere.
const addresses = ['81.2.69.160', '5.9.0.1', '8.8.8.8', '133.242.0.1', '10.1.2.3'];

const env = await freshEnv('benchhome', { SHARDS: '64', LEASE_TTL_MS: '3000', LOG_LEVEL: 'warn' });
const pool = createPool(env.mysqlUrl, { connectionLimit: 2 });
const procs: { kill(sig?: NodeJS.Signals): Promise<unknown> }[] = [];
try {
  for (const w of demoWarehouses) await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  const node = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'bench-node' });
  procs.push(node);
  await node.waitFor(/actor node \S+ joined/, 180_000);
  const gw = startProcess('app/main.ts', {
    ...env.env, ROLE: 'gateway', PORT: '0', ADMIN_TOKEN: 'benchadmin', BENCH_ROUTES: '1', TRUST_PROXY: '1',
    RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000',
  });
  procs.push(gw);
  gatewayPid = gw.child.pid;
  const url = (await gw.waitFor(/gateway listening on (\S+)/, 180_000)).split(' ').pop()!;
  const admin = { authorization: 'Bearer benchadmin', 'content-type': 'application/json' };

  // A small catalog with stock, and four regions with menus, banners and a flash sale.
  const categories = ['electronics/audio', 'home/kitchen', 'toys', 'sports/running'];
  const products = Array.from({ length: 80 }, (_, i) => ({
    sku: `BH-${String(i).padStart(3, '0')}`, title: `Bench product ${i}`, brand: 'Bench', category: categories[i % categories.length]!,
    price: 500 + i * 10, currency: 'USD', supplierId: 'sup-1', attributes: {},
  }));
  for (const p of products) {
    const res = await setUpFetch(`${url}/v1/admin/inventory/${p.sku}`, { method: 'PUT', headers: admin, body: JSON.stringify({ warehouses: [{ warehouseId: 'wh-east', onHand: 100 }] }) });
    if (res.status !== 200) throw new Error(`stock set-up failed: ${res.status} ${await res.text()}`);
  }
  await setUpFetch(`${url}/v1/admin/products`, { method: 'POST', headers: { ...admin, 'content-type': 'application/x-ndjson' }, body: products.map((p) => JSON.stringify(p)).join('\n') });
  await eventually(async () => ((await (await fetch(`${url}/v1/products?category=toys&limit=100`)).json()) as { items: unknown[] }).items.length === 20, 30_000, 100);
  const section = (name: string) => ({
    menu: categories.map((c) => ({ title: `${name} ${c}`, category: c })),
    banners: [{ title: `${name} sale`, imageUrl: '/img/sale.png', href: '/sale' }, { title: `${name} new`, imageUrl: '/img/new.png', href: '/new' }],
  });
  for (const [region, country] of [['uk', 'GB'], ['de', 'DE'], ['us', 'US'], ['jp', 'JP']] as const) {
    const body = { countries: [country], platforms: { web: section(region), android: section(region), ios: section(region) }, bestSellers: { categories: 4, perCategory: 8 }, flashSale: { title: 'Today only', skus: products.slice(0, 6).map((p) => p.sku) } };
    const res = await setUpFetch(`${url}/v1/admin/homepage/${region}`, { method: 'PUT', headers: admin, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`region set-up failed: ${res.status} ${await res.text()}`);
  }
  const first = await fetch(`${url}/v1/homepage`, { headers: { 'x-forwarded-for': addresses[0]! } });
  const etag = first.headers.get('etag')!;
  const pageBytes = (await first.text()).length;

  say(`signing up ${users} users`);
  const tokens: string[] = [];
  for (let i = 0; i < users; i += 10) {
    tokens.push(...await Promise.all(Array.from({ length: Math.min(10, users - i) }, async (_, j) => {
      const res = await setUpFetch(`${url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench${i + j}@example.com`, password: 'password123', name: 'Bench' }) });
      return ((await res.json()) as { token: string }).token;
    })));
  }
  // Warm up: the gateway's copies of every key, the users' session entities.
  let w = 0;
  await autocannon({ url, connections: 8, amount: 2000, requests: [{ setupRequest: (req) => ({ ...req, path: '/v1/homepage', headers: { 'x-forwarded-for': addresses[w % addresses.length]!, authorization: `Bearer ${tokens[w++ % tokens.length]}` } }) }] });

  const ran: (Row | undefined)[] = [];
  ran.push(await run('hello', { url: `${url}/bench/hello` }));
  let a = 0;
  ran.push(await run('homepage-anonymous', { url, requests: [{ setupRequest: (req) => ({ ...req, path: `/v1/homepage?platform=${['web', 'android', 'ios'][a % 3]}`, headers: { 'x-forwarded-for': addresses[a++ % addresses.length]! } }) }] }));
  ran.push(await run('homepage-304', { url: `${url}/v1/homepage`, headers: { 'x-forwarded-for': addresses[0]!, 'if-none-match': etag } }, 304));
  let p = 0;
  ran.push(await run('homepage-personal', {
    url, requests: [{ setupRequest: (req) => ({ ...req, path: '/v1/homepage', headers: { 'x-forwarded-for': addresses[p % addresses.length]!, authorization: `Bearer ${tokens[p++ % tokens.length]}` } }) }],
  }));

  const rows = ran.filter((r): r is Row => r !== undefined);
  const hello = rows[0]!.rps || 1;
  for (const r of rows) r.ratio = Math.round((r.rps / hello) * 100) / 100;
  const pad = (v: unknown, n: number) => String(v).padStart(n);
  process.stdout.write(`\n${'scenario'.padEnd(20)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('non-ok', 9)}${pad('errors', 8)}${pad('× hello', 9)}${pad('gw CPU µs/req', 15)}\n`);
  for (const r of rows) process.stdout.write(`${r.scenario.padEnd(20)}${pad(r.rps, 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}${pad(r.non2xx, 9)}${pad(r.errors, 8)}${pad(r.ratio, 9)}${pad(r.cpuUsPerReq, 15)}\n`);
  const [, anon, notModified, personal] = ran;
  const targets = {
    ...(anon ? { anonymousAtLeast06: (anon.ratio ?? 0) >= 0.6 } : {}),
    ...(personal ? { personalAtLeast03: (personal.ratio ?? 0) >= 0.3 } : {}),
    p99AtMost10ms: rows.slice(1).every((r) => r.p99 <= 10),
    ...(anon && notModified ? { notModifiedCheaper: notModified.rps >= anon.rps } : {}),
  };
  process.stdout.write(`\npage ${pageBytes} bytes; ${connections} connections, ${duration} s per scenario, ${users} users\n`);
  for (const [k, v] of Object.entries(targets)) process.stdout.write(`target ${k}: ${v ? 'met' : 'NOT met'}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ bench: 'homepage', duration, connections, users, pageBytes, scenarios: rows, targets })}\n`);
} finally {
  await Promise.all(procs.map((x) => x.kill('SIGTERM')));
  await pool.end().catch(() => undefined);
  await env.cleanup();
}
