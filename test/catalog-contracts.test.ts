// The document-store and search-index contracts, run against every adapter that has a
// server: MariaDB and the embedded index always, MongoDB and Elasticsearch only when
// MONGO_URL / ELASTICSEARCH_URL are set (otherwise they are counted as skipped and say so).
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import { documentStoreContract } from '../stores/documents/contract.ts';
import { MariaDbDocumentStore, MongoDocumentStore } from '../stores/documents/index.ts';
import { searchIndexContract } from '../stores/search/contract.ts';
import { ElasticSearchIndex, EmbeddedSearchIndex } from '../stores/search/index.ts';
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
