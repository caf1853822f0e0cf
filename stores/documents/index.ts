// Document store: the port, its two adapters, and the one place that picks between them.
import type { Pool } from '../mysql/index.ts';
import { MariaDbDocumentStore } from './mariadb.ts';
import { MongoDocumentStore } from './mongo.ts';
import type { DocumentStore } from './port.ts';

export { InvalidDocumentError, type Doc, type DocumentStore } from './port.ts';
export { MariaDbDocumentStore } from './mariadb.ts';
export { MongoDocumentStore } from './mongo.ts';

/** MongoDB when `mongoUrl` is given (MONGO_URL), otherwise the MariaDB table on `pool`. */
export async function openDocumentStore(opts: { mongoUrl?: string | undefined; pool: Pool }): Promise<DocumentStore> {
  if (opts.mongoUrl) return MongoDocumentStore.connect(opts.mongoUrl);
  return new MariaDbDocumentStore(opts.pool);
}
