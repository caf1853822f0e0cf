// npm run report -- --window hour|day|week [--limit 10] [--currency USD] [--json]
// The admin analytics reports as terminal tables for an operator: top searches, top
// products by views, orders and wishlist adds, and revenue by category. Reads the same
// Redis read models as GET /v1/admin/analytics/… (CLUSTER, REDIS_URL, MYSQL_URL for titles).
import { Redis } from 'ioredis';
import { AnalyticsReports, type Window } from '../actors/analytics/index.ts';
import { createPool } from '../stores/mysql/index.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { loadConfig } from './config.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const window = (arg('window') ?? 'day') as Window;
if (!['hour', 'day', 'week'].includes(window)) {
  process.stderr.write(`--window must be hour, day or week (got "${window}")\n`);
  process.exit(2);
}
const limit = Number(arg('limit') ?? 10);
if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
  process.stderr.write('--limit must be a whole number from 1 to 100\n');
  process.exit(2);
}
const currency = arg('currency');

const config = loadConfig();
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
const pool = createPool(config.mysqlUrl, { connectionLimit: 2 });
try {
  const products = new ProductRepository(pool);
  const reports = new AnalyticsReports(redis, config.cluster, async (skus) => new Map([...(await products.getMany(skus))].map(([s, p]) => [s, p.title])));
  // Each report over the window asked for, or the nearest one it keeps.
  const searchWindow = window === 'hour' ? 'hour' : 'day';
  const productWindow = window === 'week' ? 'week' : 'day';
  const revenueWindow = window === 'hour' ? 'hour' : 'day';
  const [searches, views, orders, wishlist, revenue] = await Promise.all([
    reports.topSearches(searchWindow, limit),
    reports.topProducts('views', productWindow, limit),
    reports.topProducts('orders', productWindow, limit),
    reports.topProducts('wishlist', productWindow, limit),
    reports.revenue(revenueWindow, currency, limit),
  ]);
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ cluster: config.cluster, searches, views, orders, wishlist, revenue })}\n`);
  } else {
    const table = (title: string, since: string, head: string[], rows: Array<Array<string | number>>) => {
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
      const line = (cells: Array<string | number>) => cells.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ');
      process.stdout.write(`\n${title} (since ${since.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
      process.stdout.write(rows.length ? `${rows.map(line).join('\n')}\n` : '(nothing yet)\n');
    };
    process.stdout.write(`analytics of cluster "${config.cluster}", window ${window}\n`);
    table(`Top searches, last ${searchWindow}`, searches.since, ['query', 'searches'], searches.items.map((i) => [i.query, i.count]));
    for (const [name, r] of [['views', views], ['orders', orders], ['wishlist adds', wishlist]] as const) {
      table(`Top products by ${name}, last ${productWindow}`, r.since, ['sku', 'title', name], r.items.map((i) => [i.sku, i.title.slice(0, 40), i.count]));
    }
    table(`Revenue by category, last ${revenueWindow} (${revenue.currency}, paid minus refunded)`, revenue.since, ['category', 'revenue', 'orders'],
      revenue.items.map((i) => [i.category, (i.revenue / 100).toFixed(2), i.orders]));
  }
} finally {
  redis.disconnect();
  await pool.end();
}
