// Test fixtures against the real services on loopback: a fresh database, cluster name
// (which prefixes NATS subjects, KV buckets and streams) and Redis key prefix per suite,
// and child processes that can be waited for and killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RequestStrategy, connect, type NatsConnection } from 'nats';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createPool, dropDatabase, migrate, withDatabase, type Pool } from '../../stores/mysql/index.ts';
import appNodeFlags from '../../app/node-flags.json' with { type: 'json' };
import { buildApp } from '../../app/build.ts';
import { projectRoot } from '../../app/project-root.ts';

export const root = projectRoot;
export const natsUrl = process.env.NATS_URL || 'nats://127.0.0.1:4222';
export const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const serverMysqlUrl = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/shop';

export interface TestEnv {
  cluster: string;
  mysqlUrl: string;
  /** Environment for child processes of this suite. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export const testLog: Logger = pino({ level: process.env.LOG_LEVEL || 'warn' });

/**
 * A test file's own database and a small pool on it: made before the file's tests, dropped
 * after them. Read `db.pool` inside the tests (it exists once the `before` hook ran).
 *
 * @example
 * const db = freshDatabase(test, 'journal');
 * test('…', async () => { await db.pool.query('SELECT 1'); });
 */
export function freshDatabase(suite: { before(fn: () => Promise<void>): void; after(fn: () => Promise<void>): void }, name: string, connectionLimit = 4): { readonly pool: Pool; readonly env: TestEnv } {
  let env: TestEnv | undefined;
  let pool: Pool | undefined;
  suite.before(async () => {
    env = await freshEnv(name);
    pool = createPool(env.mysqlUrl, { connectionLimit });
  });
  suite.after(async () => {
    await pool?.end();
    await env?.cleanup();
  });
  return {
    get pool() {
      if (!pool) throw new Error(`${name}: the database is made in the before hook`);
      return pool;
    },
    get env() {
      if (!env) throw new Error(`${name}: the database is made in the before hook`);
      return env;
    },
  };
}

/** A fresh database (migrated) and cluster name for one suite. */
export async function freshEnv(suite: string, extra: Record<string, string> = {}): Promise<TestEnv> {
  const cluster = `t_${suite.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 16)}_${randomBytes(3).toString('hex')}`;
  const mysqlUrl = withDatabase(serverMysqlUrl, `shop_${cluster}`);
  await migrate(mysqlUrl);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLUSTER: cluster,
    MYSQL_URL: mysqlUrl,
    NATS_URL: natsUrl,
    REDIS_URL: redisUrl,
    SHARDS: '16',
    LEASE_TTL_MS: '2000',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    ...extra,
  };
  return {
    cluster,
    mysqlUrl,
    env,
    async cleanup() {
      await dropDatabase(mysqlUrl).catch(() => undefined);
      await removeNatsState(cluster).catch(() => undefined);
      await removeRedisKeys(cluster).catch(() => undefined);
    },
  };
}

/** Deletes the KV buckets and streams a cluster name created on the shared NATS server. */
export async function removeNatsState(cluster: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const prefixes = [`KV_${cluster}_`, `${cluster.toUpperCase()}_`];
    for await (const s of jsm.streams.list()) {
      if (prefixes.some((p) => s.config.name.startsWith(p))) await jsm.streams.delete(s.config.name);
    }
  } finally {
    await nc.close();
  }
}

/** Deletes the Redis keys a cluster name's caches, limits and read models left behind. */
export async function removeRedisKeys(cluster: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${cluster}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function natsConnection(): Promise<NatsConnection> {
  return connect({ servers: natsUrl });
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves when a line of output matches; rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How long a started process may take to say it is up: 20 s was not enough with eight suites sharing two cores. */
const startTimeoutMs = Number(process.env.TEST_START_TIMEOUT_MS || 60_000);

/**
 * How a file is started: the app as production runs it, compiled (app/build.ts; built here
 * when a source is newer than the last build), anything else through tsx.
 * APP_FROM_SOURCE=1 runs the app through tsx too (to compare, or to debug without a build).
 */
function commandFor(file: string, env: Record<string, string>): string[] {
  if (file !== 'app/main.ts' || env.APP_FROM_SOURCE === '1') return ['--import', 'tsx', join(root, file)];
  return [buildApp().path];
}

/** Starts `file` (commandFor) with `env`; stdout and stderr are collected. */
export function startProcess(file: string, env: Record<string, string>): Proc {
  // CHILD_NODE_ARGS (for example "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles child processes.
  // They come after the app's own flags, so they can also override one of them for a comparison
  // (CHILD_NODE_ARGS=--max-semi-space-size=16 is V8's default).
  const extra = (env.CHILD_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...appNodeFlags.flags, ...extra, ...commandFor(file, env)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    if (process.env.TEST_VERBOSE) process.stderr.write(d);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A suite that dies (a failed before hook exits early) must not leave its nodes running:
  // orphans kept their MariaDB pools and filled the shared server's connections.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, ms = startTimeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no output matching ${pattern} within ${ms} ms; output so far:\n${out.slice(-2000)}`));
        }, ms);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before printing ${pattern}; output:\n${out.slice(-2000)}`));
          }
        });
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts the real process entry (app/main.ts) with a role; resolves once it is up. */
export async function startApp(env: Record<string, string>, role: 'all' | 'node' | 'gateway', extra: Record<string, string> = {}): Promise<Proc & { url?: string }> {
  const proc = startProcess('app/main.ts', { ...env, ROLE: role, ...extra });
  let url: string | undefined;
  // A process starting on a loaded 2-core machine (every helper's tests at once) took 20 s and more.
  try {
    if (role !== 'node') url = (await proc.waitFor(/gateway listening on (\S+)/, 180_000)).split(' ').pop();
    if (role !== 'gateway') await proc.waitFor(/actor node \S+ joined/, 180_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  return Object.assign(proc, { url });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { orAfter } from '../../cluster/index.ts';

/** Polls `check` until it returns a truthy value or `ms` passes. */
export async function eventually<T>(check: () => Promise<T> | T, ms = 10_000, every = 50): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await sleep(every);
  }
  throw new Error(`condition not met within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * The shards each node that answers says it serves, asked over NATS (reads no bucket,
 * creates none). No node at all ("no responders") is an empty map; any other failure is
 * thrown, not read as "none".
 */
export async function nodeShards(nc: NatsConnection, cluster: string, maxWaitMs = 1000): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  try {
    const replies = await nc.requestMany(`${cluster}.svc.cluster.stats`, undefined, { strategy: RequestStrategy.Timer, maxWait: maxWaitMs });
    for await (const msg of replies) {
      const stats = JSON.parse(new TextDecoder().decode(msg.data)) as { nodeId: string; shards?: number[] };
      out.set(stats.nodeId, stats.shards ?? []);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code !== '503') throw err;
  }
  return out;
}
