// What a wishlist shows of each item: today's title and price from the product, and a
// product taken off sale flagged unavailable with its last price, as the cart shows it.
// Real MariaDB and Redis.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { WishlistService, type WishlistView } from '../actors/wishlist/index.ts';
import { ReadThroughCache } from '../stores/redis/index.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { WishlistRepository } from '../stores/mysql/wishlists.ts';
import { demoProducts } from '../app/demo.ts';
import { freshDatabase, redisUrl } from './support/harness.ts';

const db = freshDatabase(test, 'wishlistview');
let redis: Redis;

test.before(async () => {
  redis = new Redis(redisUrl);
  await new ProductRepository(db.pool).upsertMany(demoProducts(3));
});
test.after(async () => {
  await redis.quit();
});

// The wishlist's cached list kept the price of when it was read; a removed product was
// shown with that one (the cart with its last), for up to the cache's lifetime.
test('a product repriced and then taken off sale shows its last price in the wishlist, as in the cart', async () => {
  const products = new ProductRepository(db.pool, 0);
  const wishlist = new WishlistService({
    repo: new WishlistRepository(db.pool), products, onChange: () => undefined,
    cache: new ReadThroughCache<WishlistView>(redis, { prefix: `${db.env.cluster}:wishlist`, ttlSeconds: 60 }),
  });
  const [first] = demoProducts(1);
  await wishlist.add('u-view', first!.sku);
  assert.is((await wishlist.get('u-view')).items[0]!.price, first!.price);
  await products.upsertMany([{ ...first!, price: first!.price + 1000, title: `${first!.title} II` }]);
  assert.equal((await wishlist.get('u-view')).items.map((i) => [i.price, i.title]), [[first!.price + 1000, `${first!.title} II`]], 'on sale: today\'s price');
  await products.markRemoved([first!.sku], Date.now());
  const [item] = (await wishlist.get('u-view')).items;
  assert.equal([item!.unavailable, item!.price, item!.title], [true, first!.price + 1000, `${first!.title} II`]);
});

test.run();
