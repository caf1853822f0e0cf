// The MongoDB document store (the `mongodb` driver), chosen when MONGO_URL is set. One
// MongoDB collection per store collection, `_id` = the document id.
import { MongoClient, type Collection, type Db } from 'mongodb';
import { checkDoc, checkKey, type Doc, type DocumentStore } from './port.ts';

type Stored = Doc & { _id: string };

function strip<T>(d: Stored): T {
  const { _id: _, ...rest } = d;
  return rest as T;
}

export class MongoDocumentStore implements DocumentStore {
  readonly kind = 'mongodb' as const;

  private constructor(private readonly client: MongoClient, private readonly db: Db) {}

  /** Connects; the database is the URL's path, or `dbName` when given (tests use a fresh one). */
  static async connect(url: string, dbName?: string): Promise<MongoDocumentStore> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    return new MongoDocumentStore(client, client.db(dbName));
  }

  private coll(collection: string): Collection<Stored> {
    return this.db.collection<Stored>(collection);
  }

  async put(collection: string, id: string, doc: Doc): Promise<void> {
    checkKey(collection, id);
    checkDoc(doc);
    await this.coll(collection).replaceOne({ _id: id }, { ...doc, _id: id }, { upsert: true });
  }

  async putMany(collection: string, items: { id: string; doc: Doc }[]): Promise<void> {
    if (items.length === 0) return;
    for (const { id, doc } of items) {
      checkKey(collection, id);
      checkDoc(doc);
    }
    await this.coll(collection).bulkWrite(
      items.map(({ id, doc }) => ({ replaceOne: { filter: { _id: id }, replacement: { ...doc, _id: id }, upsert: true } })),
      { ordered: true },
    );
  }

  async get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined> {
    checkKey(collection, id);
    const d = await this.coll(collection).findOne({ _id: id });
    return d ? strip<T>(d) : undefined;
  }

  async getMany<T extends Doc = Doc>(collection: string, ids: string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (ids.length === 0) return out;
    for (const id of ids) checkKey(collection, id);
    for (const d of await this.coll(collection).find({ _id: { $in: ids } }).toArray()) out.set(d._id, strip<T>(d));
    return out;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    checkKey(collection, id);
    return (await this.coll(collection).deleteOne({ _id: id })).deletedCount > 0;
  }

  async scan<T extends Doc = Doc>(collection: string, opts: { after?: string; limit: number }): Promise<{ id: string; doc: T }[]> {
    const docs = await this.coll(collection).find({ _id: { $gt: opts.after ?? '' } }).sort({ _id: 1 }).limit(opts.limit).toArray();
    return docs.map((d) => ({ id: d._id, doc: strip<T>(d) }));
  }

  count(collection: string): Promise<number> {
    return this.coll(collection).countDocuments();
  }

  /** Drops the database (tests). */
  async dropDatabase(): Promise<void> {
    await this.db.dropDatabase();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
