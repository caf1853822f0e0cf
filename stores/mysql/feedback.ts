// "Not interested" rows (the Redis copy read by recommendations lives in actors/recommendations).
import type { Pool } from './pool.ts';
import { insertUnderCap } from './users.ts';

export type FeedbackKind = 'category' | 'sku';
export interface FeedbackRow { kind: FeedbackKind; value: string }

export class FeedbackRepository {
  constructor(private readonly pool: Pool) {}

  async list(userId: string): Promise<FeedbackRow[]> {
    const [rows] = await this.pool.query('SELECT kind, value FROM recommendation_feedback WHERE user_id = ? ORDER BY kind, value', [userId]);
    return rows as FeedbackRow[];
  }

  /** Adds the row unless the user has `max` others (`'full'`, nothing added); under the user's lock (insertUnderCap). */
  addCapped(userId: string, row: FeedbackRow, at: number, max: number): Promise<'added' | 'present' | 'full'> {
    return insertUnderCap(this.pool, userId, max,
      ['recommendation_feedback WHERE user_id = ? AND NOT (kind = ? AND value = ?)', [userId, row.kind, row.value]],
      ['INSERT IGNORE INTO recommendation_feedback (user_id, kind, value, created_at) VALUES (?, ?, ?, ?)', [userId, row.kind, row.value, at]]);
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
