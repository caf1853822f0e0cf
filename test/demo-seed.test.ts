// `npm start` seeds its simple demo products on every start; after the first, the demo
// catalog has replaced them (through the item service), and the seed must leave them so:
// overwritten, the cart and checkout charged other prices than the product page showed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { demoProducts, restoreCatalogRows } from '../app/demo.ts';
import { demoCatalog } from '../app/catalog-demo.ts';
import { ProductRepository } from '../stores/mysql/products.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'demoseed');

test('the seed inserts the products not there yet and leaves the catalog\'s as they are', async () => {
  const repo = new ProductRepository(db.pool);
  const [first] = demoProducts(1);
  await repo.upsertMany([{ ...first!, title: 'Trailhead Eco Weight Plates', price: 69_699 }]);
  await repo.insertMissing(demoProducts(3));
  const [rows] = await db.pool.query('SELECT sku, title, price FROM products ORDER BY sku');
  const got = (rows as { sku: string; title: string; price: number }[]).map((r) => [r.sku, r.title, Number(r.price)]);
  const [, second, third] = demoProducts(3);
  assert.equal(got, [
    ['SKU-00001', 'Trailhead Eco Weight Plates', 69_699],
    ['SKU-00002', second!.title, second!.price],
    ['SKU-00003', third!.title, third!.price],
  ]);
});

test('a demo product an earlier seed overwrote gets the catalog\'s values back; one edited since is left', async () => {
  const repo = new ProductRepository(db.pool);
  const simple = demoProducts(3);
  await repo.upsertMany(simple);
  await db.pool.query("UPDATE products SET title = 'Edited by the admin', price = 4242 WHERE sku = 'SKU-00003'");
  assert.is(await restoreCatalogRows(db.pool, 5000), 2);
  const catalog = demoCatalog(3);
  const [rows] = await db.pool.query('SELECT sku, title, price FROM products ORDER BY sku');
  assert.equal((rows as { sku: string; title: string; price: number }[]).map((r) => [r.sku, r.title, Number(r.price)]), [
    ['SKU-00001', catalog[0]!.title, catalog[0]!.price],
    ['SKU-00002', catalog[1]!.title, catalog[1]!.price],
    ['SKU-00003', 'Edited by the admin', 4242],
  ]);
  assert.is(await restoreCatalogRows(db.pool, 5000), 0, 'nothing left to restore');
});

test.run();
