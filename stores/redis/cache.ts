// A Redis read-through cache whose entries are invalidated by bumping a generation
// counter: a reader that loaded from the database just before a write stores its value
// under the old generation, which no later reader accepts. One rebuild per key at a time.
import type { Redis } from 'ioredis';
import { TurnBatches } from '../turn-batches.ts';
import { luaScript, runScript } from './script.ts';
import { noteRedisAnswer, noteRedisFailure, redisPassedOver, redisPaused } from './suspect.ts';

export interface CacheOptions {
  /** Key prefix, such as `<cluster>:me`. */
  prefix: string;
  ttlSeconds: number;
  /** How long others wait for the one rebuilding a key before loading themselves. */
  waitMs?: number;
}

interface Entry<T> { g: string; d: T }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ReadThroughCache<T> {
  constructor(private readonly redis: Redis, private readonly opts: CacheOptions) {}

  private keys(id: string) {
    const base = `${this.opts.prefix}:${id}`;
    return { val: `${base}:v`, gen: `${base}:g`, lock: `${base}:l` };
  }

  /**
   * The cached value when it is current, else `load()` (stored unless undefined). A Redis
   * that fails or does not answer in time (a command timeout) is a cache that missed: the
   * value comes from `load()`, the source of truth, and is not stored; after such a failure
   * reads go to `load()` without asking Redis until a probe gets an answer (./suspect.ts).
   */
  async get(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    // Redis just failed to answer: the database, at once, instead of another timeout.
    if (redisPassedOver(this.redis)) return load();
    const k = this.keys(id);
    let current: Awaited<ReturnType<typeof this.read>>;
    let won: 'OK' | null;
    try {
      current = await this.read(k);
      noteRedisAnswer(this.redis);
      if (current.hit) return current.value;
      won = await this.redis.set(k.lock, '1', 'PX', 2000, 'NX');
    } catch (err) {
      noteRedisFailure(this.redis, err);
      return load();
    }
    if (!won) {
      // Someone else is rebuilding: wait a little for their value instead of piling onto the database.
      const until = Date.now() + (this.opts.waitMs ?? 200);
      while (Date.now() < until && !redisPaused(this.redis)) {
        await sleep(20);
        const again = await this.read(k).catch(() => undefined);
        if (again?.hit) return again.value;
      }
    }
    try {
      const value = await load();
      // Not kept when Redis fails now, or stopped answering meanwhile: the caller still gets
      // the value it loaded, without waiting on Redis again.
      if (value !== undefined && !redisPaused(this.redis)) {
        await this.redis.set(k.val, JSON.stringify({ g: current.gen, d: value } satisfies Entry<T>), 'EX', this.opts.ttlSeconds).catch(() => undefined);
      }
      return value;
    } finally {
      // A lock left behind by a paused Redis expires by itself (PX 2000).
      if (won && !redisPaused(this.redis)) await this.redis.del(k.lock).catch(() => undefined);
    }
  }

  /** Makes every cached copy of `id` stale, on every process that reads this Redis. */
  async invalidate(id: string): Promise<void> {
    await invalidateEntries(this.redis, [[this, id]]);
  }

  /** The generation and value keys of `id`, for invalidateEntries. */
  entryKeys(id: string): [gen: string, val: string] {
    const k = this.keys(id);
    return [k.gen, k.val];
  }

  private async read(k: { val: string; gen: string }): Promise<{ hit: true; value: T; gen: string } | { hit: false; gen: string }> {
    const [raw, gen] = await this.redis.mget(k.val, k.gen);
    const g = gen ?? '0';
    if (raw) {
      const entry = JSON.parse(raw) as Entry<T>;
      if (entry.g === g) return { hit: true, value: entry.d, gen: g };
    }
    return { hit: false, gen: g };
  }
}

/**
 * Bumps the generation and drops the value of each entry, in ONE command (a script: atomic
 * per entry as MULTI was). A paid order invalidated six entries through three MULTI/EXEC
 * transactions of five commands each; in a flash sale's profile that was a tenth of the
 * node's busy time. The keys may belong to different caches of the same Redis (not a Redis
 * Cluster: there every key of one script must share a slot).
 *
 * Calls made in the same turn of the event loop share that command (TurnBatches, as the
 * journal's writes do): a journal batch answers all of its orders at once, and each order
 * then invalidates its own entries, so a batch of forty orders cost forty scripts. Each
 * caller still resolves only once its entries are gone, so a writer that answers after
 * this still never lets its client read the entry it replaced.
 */
export function invalidateEntries(redis: Redis, entries: [cache: ReadThroughCache<unknown>, id: string][]): Promise<void> {
  if (entries.length === 0) return Promise.resolve();
  const batches = batchesOf(redis);
  return new Promise<void>((resolve, reject) => batches.add({ keys: entries.map(([cache, id]) => cache.entryKeys(id)), resolve, reject }));
}

/** One gatherer of invalidations per Redis connection. */
function batchesOf(redis: Redis): TurnBatches<Invalidation> {
  let batches = invalidationBatches.get(redis);
  if (!batches) invalidationBatches.set(redis, (batches = new TurnBatches((batch) => sendInvalidations(redis, batch), { depth: 4, max: 200 })));
  return batches;
}

/** One caller's entries (generation key, value key) and its promise. */
interface Invalidation {
  keys: [gen: string, val: string][];
  resolve(): void;
  reject(err: unknown): void;
}

const invalidationBatches = new WeakMap<Redis, TurnBatches<Invalidation>>();

/** Entries per script call: a long script holds Redis up for everyone else. */
const entriesPerCall = 500;

/** The batch's entries, each once however many callers named it, then every caller answered. */
async function sendInvalidations(redis: Redis, batch: Invalidation[]): Promise<void> {
  try {
    const pairs = [...new Map(batch.flatMap((b) => b.keys))];
    for (let i = 0; i < pairs.length; i += entriesPerCall) await invalidate(redis, pairs.slice(i, i + entriesPerCall).flat());
    for (const b of batch) b.resolve();
  } catch (err) {
    for (const b of batch) b.reject(err);
  }
}

async function invalidate(redis: Redis, keys: string[]): Promise<void> {
  await runScript(redis, invalidateScript, keys, [generationTtlSeconds]);
}

/** How long a generation counter outlives its last bump (longer than any entry's TTL). */
const generationTtlSeconds = 7 * 86_400;

/** KEYS: gen1, val1, gen2, val2, …; ARGV[1]: the generation's TTL. */
const invalidateScript = luaScript("for i = 1, #KEYS, 2 do redis.call('INCR', KEYS[i]); redis.call('EXPIRE', KEYS[i], ARGV[1]); redis.call('DEL', KEYS[i + 1]) end return #KEYS / 2");
