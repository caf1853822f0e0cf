// `npm run demo:generate -- --products 100000 [--ndjson file]`: generates the demo catalog and
// loads it into the system configured by the environment (like `npm start`), or with
// --ndjson writes it as NDJSON for `POST /v1/admin/products` instead.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { openContext } from './context.ts';
import { createLogger } from './logger.ts';
import { demoCatalog, demoCategoryCount } from './catalog-demo.ts';
import { loadDemoCatalog } from './catalog-load.ts';

const { values } = parseArgs({ options: { products: { type: 'string', default: '100000' }, ndjson: { type: 'string' } } });
const count = Number(values.products);
if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
  process.stderr.write('--products must be a whole number from 1 to 1000000\n');
  process.exit(2);
}
if (values.ndjson) {
  const out = createWriteStream(values.ndjson);
  for (const p of demoCatalog(count)) out.write(`${JSON.stringify(p)}\n`);
  await new Promise<void>((r) => out.end(r));
  process.stdout.write(`wrote ${count} products in ${demoCategoryCount} categories to ${values.ndjson}\n`);
} else {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { role: 'demo-generate' });
  const ctx = await openContext(config, log);
  await loadDemoCatalog({ pool: ctx.pool, nc: ctx.nc, cluster: config.cluster, log }, count);
  await ctx.nc.flush();
  await ctx.close();
  process.stdout.write(`loaded ${count} products in ${demoCategoryCount} categories into cluster "${config.cluster}"\n`);
}
