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

test.run();
