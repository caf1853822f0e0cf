// A product's listing and its removal apply newest-wins by their own event times, in
// whatever order they reach the products table: the DELETE route marks a product removed at
// once, while the item service may still be writing an earlier listing of it (a bulk
// onboarding ahead of it), which used to clear the mark and put the product back on sale
// after the 204. Real MariaDB, the repository the item service and the route use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProductRepository, type Product } from '../stores/mysql/products.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'listing');
const lamp: Product = { sku: 'LST-1', title: 'Lamp', brand: 'Glow', category: 'home/lighting', price: 1000, currency: 'USD', attributes: {}, supplierId: 's1', removedAt: null };
const removedAt = async () => {
  const [rows] = await db.pool.query('SELECT removed_at FROM products WHERE sku = ?', [lamp.sku]);
  const v = (rows as { removed_at: number | string | null }[])[0]?.removed_at;
  return v === null || v === undefined ? null : Number(v);
};

test('a removal stays through a listing older than it, landing after; a newer listing lifts it; an older removal landing late does nothing', async () => {
  const products = new ProductRepository(db.pool, 0);
  await products.upsertMany([{ ...lamp, listedAt: 1_000 }]);
  await products.markRemoved([lamp.sku], 2_000);
  assert.is(await removedAt(), 2_000);
  // The item service, behind, writes the listing of 1,500 (a price change made before the DELETE).
  await products.upsertMany([{ ...lamp, price: 900, listedAt: 1_500 }]);
  assert.is(await removedAt(), 2_000, 'still off sale');
  assert.is((await products.get(lamp.sku))?.removedAt, 2_000);
  // Listed again after the removal: on sale; then the removal's event applied late changes nothing.
  await products.upsertMany([{ ...lamp, listedAt: 3_000 }]);
  assert.is(await removedAt(), null);
  await products.markRemoved([lamp.sku], 2_000);
  assert.is(await removedAt(), null, 'the older removal does not take it off sale again');
  // A listing without a time (a bulk load, a test fixture) lifts any removal, as before.
  await products.markRemoved([lamp.sku], 4_000);
  await products.upsertMany([lamp]);
  assert.is(await removedAt(), null);
});

test.run();
