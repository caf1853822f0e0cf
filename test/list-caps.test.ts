// The caps on a user's lists (wishlist items, hidden things) count what an add would
// change: adding again what is already there is taken at the cap, as anywhere else.
// Real MariaDB and Redis; small caps so the test does not fill 500 rows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { RejectedError } from '../cluster/index.ts';
import { WishlistService, type WishlistView } from '../actors/wishlist/index.ts';
import { FeedbackService } from '../actors/recommendations/feedback.ts';
import { RecKeys } from '../actors/recommendations/keys.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { WishlistRepository } from '../stores/mysql/wishlists.ts';
import { FeedbackRepository } from '../stores/mysql/feedback.ts';
import { demoProducts } from '../app/demo.ts';
import { freshDatabase, redisUrl } from './support/harness.ts';

const db = freshDatabase(test, 'listcaps');
let redis: Redis;

test.before(async () => {
  redis = new Redis(redisUrl);
  await new ProductRepository(db.pool).upsertMany(demoProducts(5));
});
test.after(async () => {
  await redis.quit();
});

async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    if (err instanceof RejectedError) return err.code;
    throw err;
  }
}

test('a full wishlist takes an item it already holds, and refuses a new one', async () => {
  const products = new ProductRepository(db.pool);
  const wishlist = new WishlistService({
    repo: new WishlistRepository(db.pool), products, maxItems: 2, onChange: () => undefined,
    cache: new ReadThroughCache<WishlistView>(redis, { prefix: `${db.env.cluster}:wishlist`, ttlSeconds: 60 }),
  });
  await wishlist.add('u1', 'SKU-00001');
  await wishlist.add('u1', 'SKU-00002');
  assert.is(await refusal(wishlist.add('u1', 'SKU-00002')), undefined, 'already there: no change, no refusal');
  assert.is(await refusal(wishlist.add('u1', 'SKU-00003')), 'wishlist_full');
  assert.equal((await wishlist.get('u1')).items.map((i) => i.sku).sort(), ['SKU-00001', 'SKU-00002']);
});

test('a full list of hidden things takes one it already hides, and refuses a new one', async () => {
  const feedback = new FeedbackService({
    repo: new FeedbackRepository(db.pool), redis, keys: new RecKeys(db.env.cluster), maxPerUser: 2,
    skuExists: async () => true,
  });
  await feedback.hide('u1', { kind: 'sku', value: 'SKU-00001' });
  await feedback.hide('u1', { kind: 'sku', value: 'SKU-00002' });
  assert.is(await refusal(feedback.hide('u1', { kind: 'sku', value: 'SKU-00001' })), undefined, 'already hidden: no change, no refusal');
  assert.is(await refusal(feedback.hide('u1', { kind: 'sku', value: 'SKU-00003' })), 'feedback_full');
});

test.run();
