// The document-store and search-index contracts, run against every adapter that has a
// server: MariaDB and the embedded index always, MongoDB and Elasticsearch only when
// MONGO_URL / ELASTICSEARCH_URL are set (otherwise they are counted as skipped and say so).
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { documentStoreContract } from '../stores/documents/contract.ts';
import { MariaDbDocumentStore, MongoDocumentStore } from '../stores/documents/index.ts';
import { searchIndexContract } from '../stores/search/contract.ts';
import { ElasticSearchIndex, EmbeddedSearchIndex, type RankPlace } from '../stores/search/index.ts';
import { createPool, dropDatabase, migrate, withDatabase } from '../stores/mysql/index.ts';

const mysqlUrl = withDatabase(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/shop', `shop_t_docs_${randomBytes(3).toString('hex')}`);

documentStoreContract('mariadb', async () => {
  await migrate(mysqlUrl);
  const store = new MariaDbDocumentStore(createPool(mysqlUrl, { connectionLimit: 2 }), true);
  return { store, async cleanup() { await store.close(); await dropDatabase(mysqlUrl); } };
}).run();

if (process.env.MONGO_URL) {
  documentStoreContract('mongodb', async () => {
    const store = await MongoDocumentStore.connect(process.env.MONGO_URL!, `shop_t_docs_${randomBytes(3).toString('hex')}`);
    return { store, async cleanup() { await store.dropDatabase(); await store.close(); } };
  }).run();
} else {
  // Counted as skipped, not passed: nothing ran against MongoDB.
  process.stdout.write('  skipped: documents contract on MongoDB (set MONGO_URL to run it)\n');
  test.skip('documents contract: mongodb (MONGO_URL is not set)', () => {});
}

searchIndexContract('embedded', async () => {
  const index = new EmbeddedSearchIndex();
  return { index, cleanup: () => index.close() };
}).run();

// The embedded index alone: Elasticsearch pages by position by relevance (docs/search.md),
// so a product removed above the place moves the next page there by one.
test('embedded index, by relevance and popular: a product removed between pages (the page\'s last, or another) skips and repeats nothing', async () => {
  for (const sort of ['relevance', 'popular'] as const) {
    const index = new EmbeddedSearchIndex();
    const lamp = (i: number) => ({
      sku: `L-${String(i).padStart(2, '0')}`, title: `Lamp ${i}`, brand: 'Acme', category: 'home/lighting', price: 1000 + i,
      currency: 'USD', supplierId: 's', attributes: {}, createdAt: 1, updatedAt: 1,
    });
    await index.upsert(Array.from({ length: 40 }, (_, i) => lamp(i)));
    const popularity = { version: 'p', of: (sku: string) => Number(sku.slice(2)) % 3 };
    const shown: string[] = [];
    const removed: string[] = [];
    let after: RankPlace | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await index.search({ q: 'lamp', sort, popularity, offset: 0, size: 10, ...(after ? { after } : {}) });
      if (r.hits.length === 0) break;
      shown.push(...r.hits.map((h) => h.sku));
      after = r.hits[r.hits.length - 1]!.place;
      // A product of the page leaves the catalog, and MiniSearch scores every other anew:
      // its first, or its last (the place's own SKU, then found by the rank it had).
      const gone = r.hits[page % 2 === 0 ? 0 : r.hits.length - 1]!.sku;
      removed.push(gone);
      await index.remove([gone]);
    }
    assert.equal([...shown].sort(), Array.from({ length: 40 }, (_, i) => lamp(i).sku), `${sort}: every product once: ${shown}`);
    assert.is(removed.length, 4, `${sort}: four pages of ten`);
    await index.close();
  }
});

if (process.env.ELASTICSEARCH_URL) {
  searchIndexContract('elasticsearch', async () => {
    const index = new ElasticSearchIndex(process.env.ELASTICSEARCH_URL!, `t-contract-${randomBytes(3).toString('hex')}`);
    return { index, async cleanup() { await index.drop(); await index.close(); } };
  }).run();
} else {
  process.stdout.write('  skipped: search contract on Elasticsearch (set ELASTICSEARCH_URL to run it)\n');
  test.skip('search contract: elasticsearch (ELASTICSEARCH_URL is not set)', () => {});
}
test.run();
