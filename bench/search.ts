// bench:search — loads the demo catalog (100,000 products) into an embedded index, fills a
// fresh out-of-stock set and delivery estimates in Redis, then runs a mix of queries (text
// with typos, filters, sorts; out-of-stock and delivery filtering on) through the search
// service's code path at N concurrent: queries/s, p50, p99.
//   npm run bench:search -- [--products 100000] [--queries 20000] [--concurrency 64] [--json]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OutOfStockSet, runSearch, type SearchRequest } from '../actors/catalog/index.ts';
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
  const latencies = new Float64Array(queries);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < queries; i = next++) {
      const q0 = performance.now();
      await runSearch({ index, oos, estimates }, mix(i));
      latencies[i] = performance.now() - q0;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const at = (q: number) => Number(latencies[Math.min(queries - 1, Math.floor(q * queries))]!.toFixed(2));
  const result = { products, queries, concurrency, loadSeconds: Number(loadSec.toFixed(1)), prepSeconds: Number(prepSec.toFixed(1)), perSec: Math.round(queries / seconds), p50: at(0.5), p99: at(0.99), p99TargetMs: 15 };
  process.stdout.write(`products ${products} indexed in ${result.loadSeconds} s; out-of-stock ${unstocked.length}; estimates in ${result.prepSeconds} s\n`);
  process.stdout.write(`queries ${queries} at ${concurrency} concurrent: ${result.perSec}/s, p50 ${result.p50} ms, p99 ${result.p99} ms (target p99 ≤ 15 ms: ${result.p99 <= 15 ? 'met' : 'missed'})\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
