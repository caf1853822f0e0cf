// A user's recommendations are topped up from their own categories until enough of them can
// be bought. Candidates that others' views give but that are out of stock (sold out, or new
// products not stocked yet) are dropped when the list is read; counted as candidates, they
// once left a user 7 recommendations of the 24 kept, whatever limit was asked.
// Real Redis, the trainer's RecModel, a listing standing in for the catalog's search.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RecKeys, RecModel, type UserRecs } from '../actors/recommendations/index.ts';
import { redisUrl } from './support/harness.ts';

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
const keys = new RecKeys(`t_recs_${randomBytes(3).toString('hex')}`);

test.after(async () => {
  const found = await redis.keys(`${keys.p}:*`);
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

test('out-of-stock candidates do not count: the top-up brings in-stock products of the user\'s category until 24 can be bought', async () => {
  const userId = 'u-topup';
  // The user looked at one lamp; 30 products were viewed with it by others, all out of stock.
  await redis.zadd(keys.history(userId), 5, 'LAMP-1');
  await redis.hset(keys.categories(), 'LAMP-1', 'home/lamps');
  const gone = Array.from({ length: 30 }, (_, i) => `GONE-${i}`);
  await redis.set(keys.related('LAMP-1'), JSON.stringify({ buy: [], view: gone.map((sku, i) => [sku, 1 - i / 100]) }));
  // The catalog lists 40 lamps in stock.
  const lamps = Array.from({ length: 40 }, (_, i) => `LAMP-${i + 2}`);
  const listing = async (category: string) => (category === 'home/lamps' ? lamps.map((sku) => [sku, 'home/lamps'] as [string, string]) : []);
  const outOfStock = async (skus: string[]) => new Set(skus.filter((s) => s.startsWith('GONE-')));

  await new RecModel(redis, keys, Date.now, listing, outOfStock).recomputeUsers([userId]);
  const recs = JSON.parse((await redis.get(keys.forUser(userId)))!) as UserRecs;
  const buyable = recs.filter(([sku]) => !sku.startsWith('GONE-'));
  assert.is(buyable.length, 24, `in-stock recommendations: ${buyable.length} of ${recs.length}`);
  assert.ok(recs.slice(0, 30).every(([sku]) => sku.startsWith('GONE-')), 'the collaborative ones still first (a restock brings them back)');
  assert.not.ok(recs.some(([sku]) => sku === 'LAMP-1'), 'not what the user saw');
});

test.run();
