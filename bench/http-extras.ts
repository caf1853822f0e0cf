// bench:http-extras — what the gateway's HTTP niceties cost per request: the same Hono
// routes served bare and behind the RateLimit-* headers and the ETag/compression
// middleware (gateway/representation.ts). First CPU time per request in process (app.fetch
// with the adapter's Response, 10,000 requests a round: steady on a busy machine), then
// over HTTP with autocannon in alternating rounds, each with its ratio to the bare twin.
//   node --import tsx bench/http-extras.ts [--duration 3] [--rounds 3] [--connections 32] [--json]
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { representation } from '../gateway/representation.ts';
import type { GatewayEnv } from '../gateway/env.ts';

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const duration = num('duration', 3);
const rounds = num('rounds', 3);
const connections = num('connections', 32);

// A stock read (~100 bytes, the hot path) and a search page (~12 KB).
const small = { sku: 'SKU-00002', available: 118, reserved: 2, onHand: 120, status: 'in_stock' };
const big = {
  items: Array.from({ length: 24 }, (_, i) => ({
    sku: `SKU-${String(i).padStart(5, '0')}`, title: `Auralis Wireless Headphones Model ${i}`, brand: 'Auralis', category: 'electronics/audio/headphones',
    price: 12_900 + i, currency: 'USD', attributes: { color: 'black', connectivity: 'bluetooth', batteryHours: 30 + i }, score: 12.5 - i / 10,
    delivery: { eta: '2026-11-28', days: 2 },
  })),
  facets: { category: { 'electronics/audio/headphones': 24 }, brand: { Auralis: 12, Sonic: 12 } }, total: 24, nextCursor: null,
};

function app(extras: boolean): Hono<GatewayEnv> {
  const a = new Hono<GatewayEnv>();
  // Both carry a header, as every gateway response carries X-Request-Id.
  a.use('*', async (c, next) => {
    c.header('X-Request-Id', 'bench-0000-0000');
    await next();
  });
  if (extras) {
    let remaining = 1_000_000;
    a.use('*', async (c, next) => {
      c.header('RateLimit-Limit', '2000');
      c.header('RateLimit-Remaining', String(remaining--));
      c.header('RateLimit-Reset', '1');
      c.header('RateLimit-Policy', '2000;w=1');
      await next();
    });
    a.use('*', representation());
  }
  a.get('/v1/inventory/:sku', (c) => c.json(small));
  a.get('/v1/search', (c) => c.json(big));
  return a;
}

function listen(a: Hono<GatewayEnv>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: a.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

const bare = await listen(app(false));
const full = await listen(app(true));

// In process: CPU per request, bare and with the extras, rounds interleaved.
const cpuOf = async (a: Hono<GatewayEnv>, path: string, headers: Record<string, string>, n = 10_000) => {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await a.fetch(new Request(`http://bench${path}`, { headers }));
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / n;
};
const inProcess: { scenario: string; bareUs: number; extrasUs: number }[] = [];
{
  const apps = { bare: app(false), extras: app(true) };
  for (const s of [
    { name: 'stock read, gzip accepted', path: '/v1/inventory/SKU-00002', headers: { 'accept-encoding': 'gzip, br' } },
    { name: 'search page, br accepted', path: '/v1/search?q=x', headers: { 'accept-encoding': 'gzip, br' } },
  ]) {
    const b: number[] = [];
    const e: number[] = [];
    for (let round = 0; round < rounds + 2; round++) {
      b.push(await cpuOf(apps.bare, s.path, s.headers, 5000));
      e.push(await cpuOf(apps.extras, s.path, s.headers, 5000));
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    inProcess.push({ scenario: s.name, bareUs: Number(med(b).toFixed(1)), extrasUs: Number(med(e).toFixed(1)) });
  }
}
console.log('in process, CPU µs per request (median of rounds)');
for (const r of inProcess) console.log(`  ${r.scenario.padEnd(30)} bare ${r.bareUs}  +extras ${r.extrasUs}  (+${(r.extrasUs - r.bareUs).toFixed(1)})`);
const scenarios = [
  { name: 'stock read, gzip accepted', path: '/v1/inventory/SKU-00002', headers: { 'accept-encoding': 'gzip, br' } },
  { name: 'search page, no compression', path: '/v1/search?q=x', headers: {} },
  { name: 'search page, br accepted', path: '/v1/search?q=x', headers: { 'accept-encoding': 'gzip, br' } },
];
const totals = new Map<string, { rps: number[]; p99: number[]; bytes: number[]; cpu: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const s of scenarios) {
    // Alternate which runs first, so a drift in the machine's load hits both alike.
    const order = round % 2 === 0 ? [['bare', bare], ['extras', full]] as const : [['extras', full], ['bare', bare]] as const;
    for (const [kind, target] of order) {
      const cpu0 = process.cpuUsage();
      const r = await autocannon({ url: target.url + s.path, headers: s.headers, connections, duration, pipelining: 1 });
      const cpu = process.cpuUsage(cpu0);
      const key = `${s.name}|${kind}`;
      const t = totals.get(key) ?? { rps: [], p99: [], bytes: [], cpu: [] };
      // Client and server share this process: the client's part is the same for both, so the
      // difference in CPU per request is what the extras cost.
      t.cpu.push((cpu.user + cpu.system) / Math.max(1, r.requests.total));
      t.rps.push(r.requests.average);
      t.p99.push(r.latency.p99);
      t.bytes.push(r.throughput.average / Math.max(1, r.requests.average));
      totals.set(key, t);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows = scenarios.map((s) => {
  const b = totals.get(`${s.name}|bare`)!;
  const e = totals.get(`${s.name}|extras`)!;
  return { scenario: s.name, bareRps: Math.round(median(b.rps)), extrasRps: Math.round(median(e.rps)), ratio: Number((median(e.rps) / median(b.rps)).toFixed(2)),
    bareBytes: Math.round(median(b.bytes)), extrasBytes: Math.round(median(e.bytes)),
    bareCpuUs: Math.round(median(b.cpu)), extrasCpuUs: Math.round(median(e.cpu)) };
});
console.log(`medians of ${rounds} alternating rounds of ${duration} s, ${connections} connections`);
console.log('scenario                        bare req/s   +extras req/s   ratio   CPU µs/req bare → extras   bytes/resp bare → extras');
for (const r of rows) {
  console.log(`${r.scenario.padEnd(32)}${String(r.bareRps).padStart(10)}${String(r.extrasRps).padStart(16)}${r.ratio.toFixed(2).padStart(8)}   ${`${r.bareCpuUs} → ${r.extrasCpuUs}`.padEnd(27)}${r.bareBytes} → ${r.extrasBytes}`);
}
if (args.includes('--json')) console.log(JSON.stringify({ bench: 'http-extras', duration, rounds, connections, inProcess, scenarios: rows }));
bare.server.close();
full.server.close();
