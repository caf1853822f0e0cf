// "Not interested" rows (the Redis copy read by recommendations lives in actors/recommendations).
import { withTransaction, type Pool } from './pool.ts';
import { lockUser } from './users.ts';

export type FeedbackKind = 'category' | 'sku';
export interface FeedbackRow { kind: FeedbackKind; value: string }

export class FeedbackRepository {
  constructor(private readonly pool: Pool) {}

  async list(userId: string): Promise<FeedbackRow[]> {
    const [rows] = await this.pool.query('SELECT kind, value FROM recommendation_feedback WHERE user_id = ? ORDER BY kind, value', [userId]);
    return rows as FeedbackRow[];
  }

  /**
   * Adds the row unless the user has `max` others (`'full'`, nothing added): the count and
   * the insert under the user's lock, so concurrent hides cannot pass the cap together.
   */
  async addCapped(userId: string, row: FeedbackRow, at: number, max: number): Promise<'added' | 'present' | 'full'> {
    return withTransaction(this.pool, async (conn) => {
      await lockUser(conn, userId);
      const [counted] = await conn.query('SELECT COUNT(*) AS n FROM recommendation_feedback WHERE user_id = ? AND NOT (kind = ? AND value = ?)', [userId, row.kind, row.value]);
      if (Number((counted as { n: number }[])[0]?.n ?? 0) >= max) return 'full';
      const [res] = await conn.query('INSERT IGNORE INTO recommendation_feedback (user_id, kind, value, created_at) VALUES (?, ?, ?, ?)', [userId, row.kind, row.value, at]);
      return (res as { affectedRows: number }).affectedRows > 0 ? 'added' : 'present';
    });
  }

  async remove(userId: string, row: FeedbackRow): Promise<void> {
    await this.pool.query('DELETE FROM recommendation_feedback WHERE user_id = ? AND kind = ? AND value = ?', [userId, row.kind, row.value]);
  }

  /** True when some product is in this category or below it. */
  async categoryExists(category: string): Promise<boolean> {
    const [rows] = await this.pool.query('SELECT 1 FROM products WHERE category = ? OR category LIKE ? LIMIT 1', [category, `${category.replace(/[\\%_]/g, '\\$&')}/%`]);
    return (rows as unknown[]).length > 0;
  }
}
