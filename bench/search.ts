// bench:search — loads the demo catalog (100,000 products) into an embedded index, fills a
// fresh out-of-stock set and delivery estimates in Redis, then runs through the search
// service's code path (shopper filter on, as on a node), at N concurrent, three phases:
//   repeated  a mix of ten texts with filters and sorts (mostly the ranked-result cache)
//   unseen    every query new to the index: random title words with typos, attribute,
//             category and price filters, sorts including popular
//   suggest   completions of prefixes never asked before
// and prints queries/s, p50 and p99 for each.
//   npm run bench:search -- [--products 100000] [--queries 20000] [--concurrency 64] [--json]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OutOfStockSet, PopularityMirror, ShopperFilter, popularityKey, runSearch, runSuggest, type SearchRequest } from '../actors/catalog/index.ts';
import { DeliveryEstimates, estimate, routeTable } from '../actors/logistics/index.ts';
import { demoCatalog, demoStock, logisticsRoutes } from '../app/catalog-demo.ts';
import { EmbeddedSearchIndex } from '../stores/search/index.ts';
import { redisUrl } from '../test/support/harness.ts';

const { values } = parseArgs({ options: {
  products: { type: 'string', default: '100000' }, queries: { type: 'string', default: '20000' },
  concurrency: { type: 'string', default: '64' }, json: { type: 'boolean', default: false },
} });
const products = Number(values.products);
const queries = Number(values.queries);
const concurrency = Number(values.concurrency);
if (![products, queries, concurrency].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: bench/search.ts [--products N] [--queries N] [--concurrency N] [--json]\n');
  process.exit(2);
}

const prefix = `benchsearch_${randomBytes(3).toString('hex')}`;
const redis = new Redis(redisUrl, { enableAutoPipelining: true });
const index = new EmbeddedSearchIndex();
const oos = new OutOfStockSet(redis, prefix);
const estimates = new DeliveryEstimates(redis, prefix);
try {
  let t0 = performance.now();
  const catalog = demoCatalog(products).map((p, i) => ({ ...p, createdAt: i, updatedAt: i }));
  await index.upsert(catalog);
  const loadSec = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const table = routeTable(logisticsRoutes);
  const perCluster = new Map<string, Map<string, number>>();
  const unstocked: string[] = [];
  catalog.forEach((p, i) => {
    const at = demoStock(i + 1).map((s) => s.warehouseId);
    if (at.length === 0) unstocked.push(p.sku);
    for (const [c, d] of estimate(at, table)) perCluster.set(c, (perCluster.get(c) ?? new Map<string, number>()).set(p.sku, d));
  });
  for (let i = 0; i < unstocked.length; i += 5000) await redis.sadd(oos.key, ...unstocked.slice(i, i + 5000));
  await estimates.replaceAll(perCluster, [...perCluster.keys()]);
  const prepSec = (performance.now() - t0) / 1000;

  // Some SKUs sold, so sort=popular has something to rank by.
  const sold = catalog.filter((_, i) => i % 7 === 0).flatMap((p, i) => [p.sku, String(1 + (i % 50))]);
  for (let i = 0; i < sold.length; i += 10_000) await redis.hset(popularityKey(prefix), ...sold.slice(i, i + 10_000));
  const deps = { index, oos, estimates, filter: new ShopperFilter(redis, oos, estimates), popularity: new PopularityMirror(redis, prefix) };

  const texts = ['wireless headphones', 'wireles headphnes', 'wool blanket', 'smartphone 128GB', 'chef knife', 'blankt', 'running', 'coffee beans', 'oled tv', 'backpack'];
  const mix = (i: number): SearchRequest => {
    const base: SearchRequest = { sort: 'relevance', limit: 20, record: false };
    switch (i % 5) {
      case 0: return { ...base, q: texts[i % texts.length]! };
      case 1: return { ...base, q: texts[i % texts.length]!, sort: 'price_asc', cluster: 'east' };
      case 2: return { ...base, category: 'electronics/audio', brand: 'Sonic', sort: 'price_desc', cluster: 'west' };
      case 3: return { ...base, q: 'headphones', minPrice: 1000, maxPrice: 20_000, cluster: 'intl-de' };
      default: return { ...base, category: 'home/bedding', sort: 'newest', cluster: 'central' };
    }
  };
  // Unseen queries: words of real titles, one in three with a typo, never the same twice.
  const words = [...new Set(catalog.slice(0, 5000).flatMap((p) => p.title.toLowerCase().split(/\s+/)).filter((w) => w.length >= 4))];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const typo = (w: string) => { const at = 1 + Math.floor(rnd() * (w.length - 2)); return w.slice(0, at) + w.slice(at + 1); };
  const seen = new Set<string>();
  const unseen = (): SearchRequest => {
    for (;;) {
      const n = 1 + Math.floor(rnd() * 2);
      const q = Array.from({ length: n }, () => { const w = words[Math.floor(rnd() * words.length)]!; return rnd() < 0.33 ? typo(w) : w; }).join(' ');
      const f = Math.floor(rnd() * 4);
      const req: SearchRequest = {
        q, limit: 20, record: false, sort: (['relevance', 'price_asc', 'popular', 'newest'] as const)[Math.floor(rnd() * 4)]!,
        ...(f === 1 ? { attributes: { color: [['black', 'red', 'blue', 'white'][Math.floor(rnd() * 4)]!] } } : {}),
        ...(f === 2 ? { minPrice: 1000, maxPrice: 1000 + Math.floor(rnd() * 50_000) } : {}),
        ...(rnd() < 0.5 ? { cluster: ['east', 'west', 'central', 'intl-de'][Math.floor(rnd() * 4)]! } : {}),
      };
      const key = JSON.stringify(req);
      if (!seen.has(key)) { seen.add(key); return req; }
    }
  };
  const prefixes = (): string[] => {
    const out = new Set<string>();
    while (out.size < queries) {
      const w = words[Math.floor(rnd() * words.length)]!;
      const extra = rnd() < 0.3 ? ` ${words[Math.floor(rnd() * words.length)]!.slice(0, 2)}` : '';
      out.add(`${w.slice(0, 2 + Math.floor(rnd() * (w.length - 1)))}${extra}`);
    }
    return [...out];
  };

  /** Runs `n` calls of `one(i)` at the set concurrency: calls/s, p50, p99. */
  async function phase(n: number, one: (i: number) => Promise<unknown>) {
    const latencies = new Float64Array(n);
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const q0 = performance.now();
        await one(i);
        latencies[i] = performance.now() - q0;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort();
    const at = (q: number) => Number(latencies[Math.min(n - 1, Math.floor(q * n))]!.toFixed(2));
    return { perSec: Math.round(n / seconds), p50: at(0.5), p99: at(0.99) };
  }
  await runSearch(deps, mix(0)); // loads the mirrors once, as a node's first search does
  const repeated = await phase(queries, (i) => runSearch(deps, mix(i)));
  const unseenReqs = Array.from({ length: queries }, unseen);
  const fresh = await phase(queries, (i) => runSearch(deps, unseenReqs[i]!));
  const typed = prefixes();
  const suggest = await phase(queries, (i) => runSuggest(deps, typed[i]!, 10));
  const result = {
    products, queries, concurrency, loadSeconds: Number(loadSec.toFixed(1)), prepSeconds: Number(prepSec.toFixed(1)),
    repeated, unseen: fresh, suggest, targets: { unseenP99Ms: 15, suggestP99Ms: 10 },
  };
  const line = (name: string, r: { perSec: number; p50: number; p99: number }, target?: number) =>
    `${name.padEnd(9)} ${String(r.perSec).padStart(7)}/s  p50 ${String(r.p50).padStart(6)} ms  p99 ${String(r.p99).padStart(6)} ms${target ? `  (target p99 ≤ ${target} ms: ${r.p99 <= target ? 'met' : 'missed'})` : ''}\n`;
  process.stdout.write(`products ${products} indexed in ${result.loadSeconds} s; out-of-stock ${unstocked.length}; estimates in ${result.prepSeconds} s\n`);
  process.stdout.write(`${queries} calls per phase at ${concurrency} concurrent\n`);
  process.stdout.write(line('repeated', repeated));
  process.stdout.write(line('unseen', fresh, 15));
  process.stdout.write(line('suggest', suggest, 10));
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
