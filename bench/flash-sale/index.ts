// Flash-sale benchmark: sells the same stock through the actor system and four
// baselines side by side, checks none oversold, and reports throughput and latency.
import { defaultMysqlUrl } from '../../app/config.ts';
import { parseOptions, usage, UsageError, type Options, type StrategyName } from './options.ts';
import { runSale } from './run-sale.ts';
import { isBad, json, summarize, table, withCpu, type Outcome, type StrategyResult } from './report.ts';
import type { Strategy } from './strategy.ts';
import { saveResult } from '../support/results.ts';
import { measureCpu, perUnit, serverPids } from '../support/cpu.ts';
import { natsUrl, redisUrl } from '../../test/support/harness.ts';

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const mysqlUrl = env('MYSQL_URL', defaultMysqlUrl);

const say = (line: string): void => void process.stderr.write(`[flash-sale] ${line}\n`);
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

interface ActorModule {
  createActorStrategy(opts: { nodes: number }): Promise<Strategy>;
}

async function loadActor(nodes: number): Promise<Strategy> {
  // A non-literal specifier keeps tsc from resolving a file that may not exist yet, so
  // the baselines build and run on their own; its shape is checked at run time instead.
  const specifier: string = './strategies/actor.ts';
  const mod: Partial<ActorModule> = await import(specifier);
  if (typeof mod.createActorStrategy !== 'function') throw new Error(`${specifier} does not export createActorStrategy`);
  return mod.createActorStrategy({ nodes });
}

async function create(name: StrategyName, opts: Options): Promise<Strategy> {
  switch (name) {
    case 'actor':
      return loadActor(opts.nodes);
    case 'mysql-for-update':
      return (await import('./strategies/mysql-for-update.ts')).createMysqlForUpdate({ mysqlUrl });
    case 'mysql-conditional':
      return (await import('./strategies/mysql-conditional.ts')).createMysqlConditional({ mysqlUrl });
    case 'redis-lua':
      return (await import('./strategies/redis-lua.ts')).createRedisLua({ redisUrl });
    case 'redis-lua-fsync':
      return (await import('./strategies/redis-lua.ts')).createRedisLuaFsync();
  }
}

async function checkDurable(strategy: Strategy, result: StrategyResult): Promise<void> {
  if (!strategy.durable) return;
  try {
    const count = await strategy.countDurable();
    if (count === undefined) throw new Error('durable strategy returned no count');
    result.durableCount = count;
    result.durableMatches = count === result.ok;
  } catch (err) {
    result.durableMatches = false;
    result.durableError = message(err);
  }
}

async function runOne(name: StrategyName, opts: Options): Promise<Outcome> {
  let strategy: Strategy | undefined;
  try {
    strategy = await create(name, opts);
    await strategy.setup(opts.stock);
    say(`${name}: selling ${opts.stock} units to ${opts.buyers} buyers, ${opts.concurrency} at a time`);
    // Every strategy is measured against the same servers, so a baseline's line shows what
    // it costs where (Redis for redis-lua, MariaDB for the SQL ones) and nothing elsewhere.
    const cpu = measureCpu({ ...serverPids({ nats: natsUrl, mysql: mysqlUrl, redis: redisUrl }), ...strategy.processes?.() });
    const run = await runSale(strategy, opts.buyers, opts.concurrency);
    const cpuSeconds = cpu.stop();
    const result = summarize(run, opts.stock, strategy.durable);
    // ms per thousand attempts is µs per attempt.
    withCpu(result, perUnit(cpuSeconds, run.latencies.length / 1000));
    await checkDurable(strategy, result);
    say(`${name}: ${result.ok} sold, ${result.rejected} rejected, ${result.errors} errors in ${result.seconds}s`);
    if (result.firstError !== undefined) say(`${name}: first error: ${result.firstError}`);
    return result;
  } catch (err) {
    // A missing module needs no stack trace; anything else may.
    const missing = (err as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
    say(`${name}: failed: ${err instanceof Error && !missing ? (err.stack ?? err.message) : message(err)}`);
    return { failed: true, error: message(err) };
  } finally {
    await strategy?.close().catch((err: unknown) => say(`${name}: close failed: ${message(err)}`));
  }
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${usage}\n`);
    return 2;
  }
  if (opts.via === 'http') {
    const { runHttpSale } = await import('./via-http.ts');
    return runHttpSale(opts);
  }
  const outcomes = new Map<string, Outcome>();
  for (const name of opts.only) outcomes.set(name, await runOne(name, opts));
  process.stdout.write(`${table(outcomes)}\n`);
  saveResult('flash-sale', JSON.parse(json(outcomes)));
  if (opts.json) process.stdout.write(`${json(outcomes)}\n`);
  return [...outcomes.values()].some(isBad) ? 1 : 0;
}

const code = await main();
// Exit explicitly: a strategy that leaks a socket or timer must not keep the bench alive.
process.stdout.write('', () => process.exit(code));
