// The Redis read-through cache against the real Redis: a value is loaded once and served
// until invalidated; invalidation (one script for any number of entries) works as the
// first command of a fresh client whose auto-pipeline is already open, and after Redis
// forgot its scripts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ReadThroughCache, invalidateEntries } from '../stores/redis/index.ts';
import { redisUrl } from './support/harness.ts';

const prefix = `test:rtc:${randomBytes(4).toString('hex')}`;

test('loaded once, served until invalidated; two caches invalidated in one call, also on a fresh client mid-pipeline and after SCRIPT FLUSH', async () => {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  try {
    const a = new ReadThroughCache<number>(redis, { prefix: `${prefix}:a`, ttlSeconds: 60 });
    const b = new ReadThroughCache<number>(redis, { prefix: `${prefix}:b`, ttlSeconds: 60 });
    let loads = 0;
    const load = async () => ++loads;
    assert.is(await a.get('x', load), 1);
    assert.is(await a.get('x', load), 1, 'served from Redis');
    assert.is(await b.get('y', load), 2);
    // A command opens this tick's auto-pipeline before the first invalidation is sent.
    void redis.get(`${prefix}:warm`);
    await invalidateEntries(redis, [[a as ReadThroughCache<unknown>, 'x'], [b as ReadThroughCache<unknown>, 'y']]);
    assert.is(await a.get('x', load), 3, 'a reloaded after the invalidation');
    assert.is(await b.get('y', load), 4, 'b too');
    await redis.script('FLUSH');
    await a.invalidate('x');
    assert.is(await a.get('x', load), 5, 'invalidated after Redis forgot the script');
  } finally {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

test('invalidations made in one turn go to Redis as one script, and every caller resolves once its entries are gone', async () => {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const watcher = new Redis(redisUrl);
  const monitor = await watcher.monitor();
  try {
    const cache = new ReadThroughCache<number>(redis, { prefix: `${prefix}:t`, ttlSeconds: 60 });
    const ids = Array.from({ length: 40 }, (_, i) => `o${i}`);
    for (const id of ids) assert.is(await cache.get(id, async () => 1), 1);
    // Redis knows the script from here on, so the turn below sends EVALSHA alone, never
    // EVALSHA then EVAL.
    await invalidateEntries(redis, [[cache as ReadThroughCache<unknown>, 'warm']]);
    const scripts: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (/^eval/i.test(args[0] ?? '') && args.some((a) => a.startsWith(`${prefix}:t`))) scripts.push(args[0]!);
    });
    await new Promise((r) => setTimeout(r, 50));
    scripts.length = 0; // the warm-up's own script, if MONITOR passed it on only now
    // Forty writers in one turn, each its own entry and one shared by all (a user's list).
    await Promise.all(ids.map((id) => invalidateEntries(redis, [[cache as ReadThroughCache<unknown>, id], [cache as ReadThroughCache<unknown>, 'shared']])));
    for (const id of ids) assert.is(await cache.get(id, async () => 2), 2, `${id} reloaded after its invalidation`);
    await new Promise((r) => setTimeout(r, 100));
    assert.is(scripts.length, 1, `one script for the turn's 41 entries (${scripts.length})`);
  } finally {
    monitor.disconnect();
    watcher.disconnect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

test('when Redis cannot be reached, every caller of the turn is refused, none left waiting', async () => {
  const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    const cache = new ReadThroughCache<number>(redis, { prefix: `${prefix}:down`, ttlSeconds: 60 });
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id) => invalidateEntries(redis, [[cache as ReadThroughCache<unknown>, id]])));
    assert.equal(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
  } finally {
    redis.disconnect();
  }
});

test.run();
