// "Not interested" rows (the Redis copy read by recommendations lives in actors/recommendations).
import type { Pool } from './pool.ts';

export type FeedbackKind = 'category' | 'sku';
export interface FeedbackRow { kind: FeedbackKind; value: string }

export class FeedbackRepository {
  constructor(private readonly pool: Pool) {}

  async list(userId: string): Promise<FeedbackRow[]> {
    const [rows] = await this.pool.query('SELECT kind, value FROM recommendation_feedback WHERE user_id = ? ORDER BY kind, value', [userId]);
    return rows as FeedbackRow[];
  }

  /** The user's rows other than `row`: what hiding it again would be counted against. */
  async countOthers(userId: string, row: FeedbackRow): Promise<number> {
    const [rows] = await this.pool.query('SELECT COUNT(*) AS n FROM recommendation_feedback WHERE user_id = ? AND NOT (kind = ? AND value = ?)', [userId, row.kind, row.value]);
    return Number((rows as Array<{ n: number }>)[0]?.n ?? 0);
  }

  /** True when the row is new. */
  async add(userId: string, row: FeedbackRow, at: number): Promise<boolean> {
    const [res] = await this.pool.query('INSERT IGNORE INTO recommendation_feedback (user_id, kind, value, created_at) VALUES (?, ?, ?, ?)', [userId, row.kind, row.value, at]);
    return (res as { affectedRows: number }).affectedRows > 0;
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
