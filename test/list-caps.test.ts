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
import { UserRepository } from '../stores/mysql/users.ts';
import { UsersService, type MeView } from '../actors/users/service.ts';
import { FeedbackRepository } from '../stores/mysql/feedback.ts';
import { demoProducts } from '../app/demo.ts';
import { freshDatabase, redisUrl } from './support/harness.ts';

const db = freshDatabase(test, 'listcaps', 12);
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

async function newUser(userId: string): Promise<void> {
  await new UserRepository(db.pool).create({
    userId, email: `${userId}@example.com`, name: userId, passwordHash: Buffer.alloc(8), passwordSalt: Buffer.alloc(8), passwordParams: 'x', rewardPoints: 0,
    coupon: { couponId: `c-${userId}`, code: 'WELCOME10', description: 'welcome', discountPercent: 10, expiresAt: null },
  });
}

// Each cap had been counted before the row was added, apart from it: twenty wishlist adds
// at once to a list of 499 made it 501, ten address adds to a user with 49 made 52.
test('concurrent adds cannot pass a cap: wishlist items, hidden things, addresses', async () => {
  await newUser('u-race');
  const wishlist = new WishlistService({
    repo: new WishlistRepository(db.pool), products: new ProductRepository(db.pool), maxItems: 2, onChange: () => undefined,
    cache: new ReadThroughCache<WishlistView>(redis, { prefix: `${db.env.cluster}:wishlist`, ttlSeconds: 60 }),
  });
  await wishlist.add('u-race', 'SKU-00001');
  const wishes = await Promise.all(['SKU-00002', 'SKU-00003', 'SKU-00004', 'SKU-00005'].map((sku) => refusal(wishlist.add('u-race', sku))));
  assert.equal(wishes.filter((r) => r === undefined).length, 1, `one add fits: ${wishes.join()}`);
  assert.equal(wishes.filter((r) => r === 'wishlist_full').length, 3);
  assert.is((await wishlist.get('u-race')).items.length, 2);

  const feedback = new FeedbackService({
    repo: new FeedbackRepository(db.pool), redis, keys: new RecKeys(db.env.cluster), maxPerUser: 2,
    skuExists: async () => true,
  });
  await feedback.hide('u-race', { kind: 'sku', value: 'SKU-00001' });
  const hides = await Promise.all(Array.from({ length: 10 }, (_, i) => refusal(feedback.hide('u-race', { kind: 'sku', value: `SKU-1${i}` }))));
  assert.equal(hides.filter((r) => r === undefined).length, 1, `one hide fits: ${hides.join()}`);
  assert.is((await new FeedbackRepository(db.pool).list('u-race')).length, 2);

  const users = new UsersService({
    users: new UserRepository(db.pool), sessions: undefined as never, sessionTtlMs: 60_000, maxAddresses: 2, onChange: () => undefined,
    cache: new ReadThroughCache<MeView>(redis, { prefix: `${db.env.cluster}:me`, ttlSeconds: 60 }),
  });
  const address = { line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110' };
  await users.addAddress('u-race', address);
  const adds = await Promise.all(Array.from({ length: 10 }, () => refusal(users.addAddress('u-race', address))));
  assert.equal(adds.filter((r) => r === undefined).length, 1, `one address fits: ${adds.join()}`);
  assert.equal(adds.filter((r) => r === 'too_many_addresses').length, 9);
  assert.is((await users.me('u-race')).addresses.length, 2);
});

// Many users at once, each within their cap (a sale's new buyers giving their first
// address): the cap's count had been a locking subquery, whose gap locks two users' adds
// took on one gap of the index and then inserted into, and 40 of 128 such adds failed as
// deadlocks (503 unavailable).
test('many users adding their first address, wishlist item and hidden thing at once all succeed', async () => {
  const ids = Array.from({ length: 48 }, (_, i) => `u-many-${i}`);
  for (const id of ids) await newUser(id);
  const users = new UserRepository(db.pool);
  const wishlists = new WishlistRepository(db.pool);
  const feedback = new FeedbackRepository(db.pool);
  const outcomes = await Promise.allSettled(ids.flatMap((id) => [
    users.addAddress(id, { addressId: `a-${id}`, line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110', cluster: 'us-east' }, true, 50),
    wishlists.addCapped(id, 'SKU-00001', Date.now(), 500),
    feedback.addCapped(id, { kind: 'sku', value: 'SKU-00002' }, Date.now(), 500),
  ]));
  const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
  assert.equal(failed, [], `${failed.length} of ${outcomes.length} failed: ${failed[0] ?? ''}`);
  const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM addresses a JOIN users u ON u.user_id = a.user_id AND u.default_address_id = a.address_id WHERE a.user_id LIKE 'u-many-%'");
  assert.is(Number((rows as { n: number }[])[0]!.n), ids.length, 'each address added and made its user\'s default');
});

test.run();
