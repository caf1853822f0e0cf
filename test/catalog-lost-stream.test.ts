// CATALOG lost with NATS's storage: the stream comes back empty, and every node started
// afterwards replayed nothing into its search index, for good, while every product was
// still in the document store (a fault audit: search and listings answered total 0 on the
// whole cluster after NATS restarted on an empty store and the nodes restarted). The item
// service publishes the stored products again when the stream holds fewer products than
// the store, never over an event posted meanwhile, and does nothing while it holds them all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from 'nats';
import { republishLostProducts, productsCollection, type CatalogEvent, type CatalogProduct } from '../actors/catalog/index.ts';
import { MariaDbDocumentStore } from '../stores/documents/index.ts';
import { catalogStream, ensureStream } from '../stores/events/index.ts';
import { freshDatabase, natsConnection, testLog } from './support/harness.ts';

const db = freshDatabase(test, 'catalogreseed');
let nc: NatsConnection;

test.before(async () => {
  nc = await natsConnection();
});

test.after(async () => {
  await nc?.close();
});

const product = (sku: string, title: string): CatalogProduct => ({
  sku, title, brand: 'Acme', category: 'home/kitchen', price: 1000, currency: 'USD', attributes: {}, supplierId: 'sup-1', description: '', images: [],
  createdAt: 1, updatedAt: 1,
} as unknown as CatalogProduct);

test('products CATALOG lost are published again from the store, never over a newer event, and only while some are missing', async () => {
  const documents = new MariaDbDocumentStore(db.pool);
  const stream = catalogStream(db.env.cluster);
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, stream);
  const deps = { nc, documents, log: testLog };
  const lastOf = async (sku: string) => (await jsm.streams.getMessage(stream.name, { last_by_subj: stream.subject('product', sku) })).json<CatalogEvent>();

  // Nothing stored: nothing to publish.
  assert.is(await republishLostProducts(deps, jsm, stream), 0);

  for (const sku of ['R-1', 'R-2', 'R-3']) await documents.put(productsCollection, sku, { ...product(sku, `stored ${sku}`) });
  assert.is((await jsm.streams.info(stream.name)).state.messages, 0, 'the stream lost everything');
  assert.is(await republishLostProducts(deps, jsm, stream), 3);
  assert.is((await jsm.streams.info(stream.name)).state.messages, 3);
  for (const sku of ['R-1', 'R-2', 'R-3']) {
    const e = await lastOf(sku);
    assert.is(e.kind === 'product' && e.product.title, `stored ${sku}`);
  }
  // Once published, the next check does nothing.
  assert.is(await republishLostProducts(deps, jsm, stream), 0);
  assert.is((await jsm.streams.info(stream.name)).state.messages, 3);

  // Lost again, and a newer listing of R-2 posted before the item service looked: the
  // others are published again, and R-2's stored copy is not published over the newer one.
  // (A check that only looked for an empty stream left out for good.)
  await jsm.streams.purge(stream.name);
  const newer: CatalogEvent = { kind: 'product', product: product('R-2', 'posted after the loss') };
  await nc.jetstream().publish(stream.subject('product', 'R-2'), new TextEncoder().encode(JSON.stringify(newer)));
  assert.is(await republishLostProducts(deps, jsm, stream), 2);
  const r2 = await lastOf('R-2');
  assert.is(r2.kind === 'product' && r2.product.title, 'posted after the loss');
  for (const sku of ['R-1', 'R-3']) {
    const e = await lastOf(sku);
    assert.is(e.kind === 'product' && e.product.title, `stored ${sku}`);
  }
  assert.is(await republishLostProducts(deps, jsm, stream), 0, 'complete again');
});

test.run();
