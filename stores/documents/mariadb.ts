// The default document store: a MariaDB table of JSON documents (010_documents.sql).
import type { Pool } from '../mysql/index.ts';
import { checkDoc, checkKey, type Doc, type DocumentStore } from './port.ts';

type Row = { id: string; body: string | Doc };

const parse = <T>(body: string | Doc): T => (typeof body === 'string' ? JSON.parse(body) : body) as T;

export class MariaDbDocumentStore implements DocumentStore {
  readonly kind = 'mariadb' as const;

  /** `ownsPool`: close() ends the pool too (when the store created it). */
  constructor(private readonly pool: Pool, private readonly ownsPool = false) {}

  async put(collection: string, id: string, doc: Doc): Promise<void> {
    await this.putMany(collection, [{ id, doc }]);
  }

  async putMany(collection: string, items: { id: string; doc: Doc }[]): Promise<void> {
    for (const { id, doc } of items) {
      checkKey(collection, id);
      checkDoc(doc);
    }
    // Chunks keep one statement well under max_allowed_packet.
    for (let i = 0; i < items.length; i += 500) {
      const chunk = items.slice(i, i + 500);
      await this.pool.query(
        'INSERT INTO documents (collection, id, body) VALUES ? ON DUPLICATE KEY UPDATE body = VALUES(body)',
        [chunk.map((it) => [collection, it.id, JSON.stringify(it.doc)])],
      );
    }
  }

  async get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined> {
    checkKey(collection, id);
    const [rows] = await this.pool.query('SELECT id, body FROM documents WHERE collection = ? AND id = ?', [collection, id]);
    const row = (rows as Row[])[0];
    return row ? parse<T>(row.body) : undefined;
  }

  async getMany<T extends Doc = Doc>(collection: string, ids: string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (ids.length === 0) return out;
    for (const id of ids) checkKey(collection, id);
    const [rows] = await this.pool.query('SELECT id, body FROM documents WHERE collection = ? AND id IN (?)', [collection, ids]);
    for (const r of rows as Row[]) out.set(r.id, parse<T>(r.body));
    return out;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    checkKey(collection, id);
    const [res] = await this.pool.query('DELETE FROM documents WHERE collection = ? AND id = ?', [collection, id]);
    return (res as { affectedRows: number }).affectedRows > 0;
  }

  async scan<T extends Doc = Doc>(collection: string, opts: { after?: string; limit: number }): Promise<{ id: string; doc: T }[]> {
    const [rows] = await this.pool.query(
      'SELECT id, body FROM documents WHERE collection = ? AND id > ? ORDER BY id LIMIT ?',
      [collection, opts.after ?? '', opts.limit],
    );
    return (rows as Row[]).map((r) => ({ id: r.id, doc: parse<T>(r.body) }));
  }

  async count(collection: string): Promise<number> {
    const [rows] = await this.pool.query('SELECT COUNT(*) AS n FROM documents WHERE collection = ?', [collection]);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
