// Command-line options of the flash-sale runner; a bad value is a UsageError (exit 2).
import { parseArgs } from 'node:util';

export const strategyNames = ['actor', 'mysql-for-update', 'mysql-conditional', 'redis-lua'] as const;
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
}

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
  --json         end stdout with one JSON line of the results`;

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
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const via = values.via ?? 'nats';
  if (via !== 'nats' && via !== 'http') throw new UsageError(`--via: "${via}" is not nats or http`);
  // Through HTTP every sale is two requests and an order: a smaller default sale.
  const http = via === 'http';
  return {
    via,
    buyers: whole('buyers', values.buyers, http ? 20_000 : 200_000, 1, 100_000_000),
    stock: whole('stock', values.stock, http ? 10_000 : 100_000, 0, 2_000_000_000),
    concurrency: whole('concurrency', values.concurrency, 256, 1, 100_000),
    nodes: whole('nodes', values.nodes, 1, 1, 64),
    only: pickStrategies(values.only),
    json: values.json ?? false,
  };
}
