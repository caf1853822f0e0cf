// Command-line options of the flash-sale runner; a bad value is a UsageError (exit 2).
import { parseArgs } from 'node:util';

export const strategyNames = ['actor', 'mysql-for-update', 'mysql-conditional', 'redis-lua', 'redis-lua-fsync'] as const;
export type StrategyName = (typeof strategyNames)[number];

export interface Options {
  buyers: number;
  stock: number;
  concurrency: number;
  nodes: number;
  only: StrategyName[];
  json: boolean;
  /** `nats`: the strategies side by side; `http`: the whole sale through checkout and pay. */
  via: 'nats' | 'http';
  /** --via http only: a running gateway to aim at instead of starting one. */
  url?: string;
  /** --via http with --url: the running system's MariaDB, for the paid-rows check. */
  mysqlUrl?: string;
  adminToken?: string;
  sku?: string;
  /** --via http without --url: how the processes started here divide the roles. */
  roles: Roles;
  /** --via http: attempts of a warm-up sale on the same SKU before the measured one (0: none). */
  warmup: number;
}

/**
 * `split`: nodes and a separate gateway process (every ask crosses NATS); `all`: processes
 * with both roles (ROLE=all), asks to their own shards delivered in the process; `all-nats`:
 * ROLE=all with LOCAL_DELIVERY=0, to see what the in-process delivery is worth.
 */
export const roleLayouts = ['split', 'all', 'all-nats'] as const;
export type Roles = (typeof roleLayouts)[number];

export class UsageError extends Error {
  override name = 'UsageError';
}

export const usage = `usage: bench/flash-sale/index.ts [--buyers N] [--stock N] [--concurrency N] [--nodes N] [--only a,b] [--json]
  --buyers       buyers who each try to take one unit (default 200000)
  --stock        units on sale (default 100000)
  --concurrency  buyers in flight at once (default 256)
  --nodes        cluster nodes for the actor strategy (default 1)
  --only         comma-separated subset of: ${strategyNames.join(', ')}
  --via http     instead, the whole sale through the gateway: checkout + pay per buyer
                 (defaults then 20000 buyers, 10000 units), next to the hello ceiling
  --url URL      with --via http: aim at a running gateway (needs its admin token in
                 --admin-token or ADMIN_TOKEN; /bench/hello when it has BENCH_ROUTES=1)
  --mysql-url U  with --url: that system's MariaDB, to check paid rows = paid answers
  --sku SKU      with --url: the product to sell (default SKU-00001; its stock is SET)
  --roles R      with --via http, the processes started: split (default; --nodes nodes
                 and a gateway), all (--nodes processes with both roles; load goes to the
                 first one's HTTP port), all-nats (as all, with LOCAL_DELIVERY=0)
  --warmup N     with --via http: first a warm-up sale of N/2 units to N attempts on the
                 same SKU, not counted (default 6000; 0: none), so that the figures are
                 the sale's and not the JIT's first seconds in freshly started processes
  --json         end stdout with one JSON line of the results
  Every run is saved as JSON under bench/results/ (npm run bench:compare A B).
  Scenario: --via http --buyers 100000 --stock 50000 (100,000 attempts for 50,000 units).`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

function pickStrategies(raw: string | undefined): StrategyName[] {
  if (raw === undefined) return [...strategyNames];
  const wanted = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (wanted.length === 0) throw new UsageError('--only: name at least one strategy');
  for (const name of wanted) {
    if (!(strategyNames as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown strategy "${name}" (choose from ${strategyNames.join(', ')})`);
    }
  }
  // Always in the canonical order, so tables from different runs line up.
  return strategyNames.filter((name) => wanted.includes(name));
}

export function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        buyers: { type: 'string' },
        stock: { type: 'string' },
        concurrency: { type: 'string' },
        nodes: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        via: { type: 'string' },
        url: { type: 'string' },
        'mysql-url': { type: 'string' },
        'admin-token': { type: 'string' },
        sku: { type: 'string' },
        roles: { type: 'string' },
        warmup: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const via = values.via ?? 'nats';
  if (values.url !== undefined && via !== 'http') throw new UsageError('--url needs --via http (the other strategies are not HTTP)');
  if (via !== 'nats' && via !== 'http') throw new UsageError(`--via: "${via}" is not nats or http`);
  // Through HTTP every sale is two requests and an order: a smaller default sale.
  const http = via === 'http';
  const roles = values.roles ?? 'split';
  if (!(roleLayouts as readonly string[]).includes(roles)) throw new UsageError(`--roles: "${roles}" is not one of ${roleLayouts.join(', ')}`);
  if (values.roles !== undefined && (!http || values.url !== undefined)) throw new UsageError('--roles needs --via http and no --url (it says which processes to start)');
  if (values.warmup !== undefined && !http) throw new UsageError('--warmup needs --via http (the strategies through NATS have no warm-up)');
  return {
    roles: roles as Roles,
    via,
    buyers: whole('buyers', values.buyers, http ? 20_000 : 200_000, 1, 100_000_000),
    stock: whole('stock', values.stock, http ? 10_000 : 100_000, 0, 2_000_000_000),
    concurrency: whole('concurrency', values.concurrency, 256, 1, 100_000),
    nodes: whole('nodes', values.nodes, 1, 1, 64),
    warmup: whole('warmup', values.warmup, http ? 6000 : 0, 0, 10_000_000),
    only: pickStrategies(values.only),
    json: values.json ?? false,
    ...(values.url !== undefined ? { url: checkUrl(values.url) } : {}),
    ...(values['mysql-url'] !== undefined ? { mysqlUrl: values['mysql-url'] } : {}),
    ...(values['admin-token'] !== undefined ? { adminToken: values['admin-token'] } : {}),
    ...(values.sku !== undefined ? { sku: values.sku } : {}),
  };
}

function checkUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return raw.replace(/\/$/, '');
  } catch {
    throw new UsageError(`--url: "${raw}" is not an http(s) URL`);
  }
}
