// bench:search — loads the demo catalog (100,000 products) into an embedded index, fills a
// fresh out-of-stock set and delivery estimates in Redis, then runs through the search
// service's code path (shopper filter on, as on a node):
//   repeated ×C   a mix of ten texts with filters and sorts (mostly the ranked-result cache)
//   unseen ×1     300 queries new to the index, one at a time: what one query costs
//   unseen ×C     --unseen more, C at once: what one node sustains (p99 there is queueing)
//                 (random title words with typos, attribute, category and price filters,
//                 sorts including popular)
//   suggest ×1/×C completions of prefixes never asked before
// and prints calls/s, p50 and p99 for each as it ends.
//   npm run bench:search -- [--products 100000] [--queries 20000] [--unseen 3000] [--concurrency 64] [--json]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OutOfStockSet, PopularityMirror, ShopperFilter, popularityKey, runSearch, runSuggest, type SearchRequest } from '../actors/catalog/index.ts';
import { DeliveryEstimates, estimate, routeTable } from '../actors/logistics/index.ts';
import { demoCatalog, demoStock, logisticsRoutes, rng } from '../app/catalog-demo.ts';
import { EmbeddedSearchIndex, exactFacetLimit } from '../stores/search/index.ts';
import { redisUrl } from '../test/support/harness.ts';

const { values } = parseArgs({ options: {
  products: { type: 'string', default: '100000' }, queries: { type: 'string', default: '20000' },
  unseen: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '64' }, json: { type: 'boolean', default: false },
} });
const products = Number(values.products);
const queries = Number(values.queries);
const concurrentCalls = Number(values.concurrency);
const unseenCount = Number(values.unseen);
if (![products, queries, concurrentCalls, unseenCount].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: bench/search.ts [--products N] [--queries N] [--unseen N] [--concurrency N] [--json]\n');
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
  const sold = catalog.filter((_, i) => i % 7 === 0).flatMap((p, i) => [1 + (i % 50), p.sku]);
  for (let i = 0; i < sold.length; i += 10_000) await redis.zadd(popularityKey(prefix), ...sold.slice(i, i + 10_000));
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
  // Seeded and repeatable. An LCG here once multiplied past 2^53 in floating point, fell
  // into a short cycle, and the hunt for new prefixes never ended.
  const rnd = rng(42);
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
    // Bounded: a small vocabulary has only so many distinct prefixes.
    for (let tries = 0; out.size < queries + 1000 && tries < 50 * (queries + 1000); tries++) {
      const w = words[Math.floor(rnd() * words.length)]!;
      const extra = rnd() < 0.3 ? ` ${words[Math.floor(rnd() * words.length)]!.slice(0, 2)}` : '';
      out.add(`${w.slice(0, 2 + Math.floor(rnd() * (w.length - 1)))}${extra}`);
    }
    return [...out];
  };

  /** Runs `n` calls of `one(i)` at `concurrency` at once: calls/s, p50, p99. */
  async function phase(n: number, one: (i: number) => Promise<unknown>, concurrency = concurrentCalls) {
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
  const line = (name: string, r: { perSec: number; p50: number; p99: number }, target?: number) =>
    `${name.padEnd(20)} ${String(r.perSec).padStart(7)}/s  p50 ${String(r.p50).padStart(7)} ms  p99 ${String(r.p99).padStart(7)} ms${target ? `  (target p99 ≤ ${target} ms: ${r.p99 <= target ? 'met' : 'missed'})` : ''}\n`;
  process.stdout.write(`products ${products} indexed in ${loadSec.toFixed(1)} s; out-of-stock ${unstocked.length}; estimates in ${prepSec.toFixed(1)} s\n`);
  // Each phase prints as it ends: at 100,000 products the unseen phase is minutes long.
  const repeated = await phase(queries, (i) => runSearch(deps, mix(i)));
  process.stdout.write(line(`repeated ×${concurrentCalls}`, repeated));
  // Unseen queries, one at a time first (what one query costs), then many at once (what a node sustains).
  const unseenReqs = Array.from({ length: unseenCount + 300 }, unseen);
  let estimated = 0;
  const oneUnseen = async (req: SearchRequest) => { if (!(await runSearch(deps, req)).facetsExact) estimated++; };
  const unseenAlone = await phase(300, (i) => oneUnseen(unseenReqs[i]!), 1);
  process.stdout.write(line('unseen ×1', unseenAlone, 15));
  const fresh = await phase(unseenCount, (i) => oneUnseen(unseenReqs[300 + i]!));
  process.stdout.write(line(`unseen ×${concurrentCalls}`, fresh));
  const typed = prefixes();
  const suggestAlone = await phase(1000, (i) => runSuggest(deps, typed[i]!, 10), 1);
  process.stdout.write(line('suggest ×1', suggestAlone, 10));
  const suggest = await phase(typed.length - 1000, (i) => runSuggest(deps, typed[1000 + i]!, 10));
  process.stdout.write(line(`suggest ×${concurrentCalls}`, suggest, 10));
  process.stdout.write(`unseen queries whose facets were estimated (over ${exactFacetLimit} buyable hits): ${estimated} of ${unseenCount + 300}\n`);
  const result = {
    products, queries, unseenQueries: unseenCount, concurrency: concurrentCalls, loadSeconds: Number(loadSec.toFixed(1)), prepSeconds: Number(prepSec.toFixed(1)),
    repeated, unseenAlone, unseen: fresh, suggestAlone, suggest, facetsEstimated: estimated, targets: { unseenAloneP99Ms: 15, suggestP99Ms: 10 },
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
