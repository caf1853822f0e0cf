// "Not interested": stored in MariaDB (acknowledged means committed), then copied to the
// user's Redis set that every reader of recommendations filters with, so a hidden
// category or SKU is gone from the next read. The set carries a "loaded" marker: a set
// without it (Redis lost it) is rebuilt from MariaDB on the next write or read here.
import type { Redis } from 'ioredis';
import { RejectedError } from '../../cluster/index.ts';
import type { FeedbackRepository, FeedbackRow } from '../../stores/mysql/feedback.ts';
import type { RecKeys } from './keys.ts';

const LOADED = 'loaded';
const member = (r: FeedbackRow) => `${r.kind === 'category' ? 'c' : 's'}:${r.value}`;

export interface FeedbackDeps {
  repo: FeedbackRepository;
  redis: Redis;
  keys: RecKeys;
  skuExists(sku: string): Promise<boolean>;
  maxPerUser?: number;
}

export class FeedbackService {
  constructor(private readonly deps: FeedbackDeps) {}

  async hide(userId: string, row: FeedbackRow): Promise<void> {
    const exists = row.kind === 'sku' ? await this.deps.skuExists(row.value) : await this.deps.repo.categoryExists(row.value);
    if (!exists) {
      throw row.kind === 'sku'
        ? new RejectedError('unknown_sku', `no product ${row.value}`, { data: { sku: row.value } })
        : new RejectedError('unknown_category', `no product is in category ${row.value}`, { data: { category: row.value } });
    }
    const max = this.deps.maxPerUser ?? 500;
    // Hiding what is already hidden changes nothing, so a full list takes it too.
    // Counted and added in one locked step, so concurrent hides cannot pass the cap.
    if ((await this.deps.repo.addCapped(userId, row, Date.now(), max)) === 'full') throw new RejectedError('feedback_full', `at most ${max} things can be hidden`, { data: { max } });
    await this.copy(userId, (key) => this.deps.redis.sadd(key, member(row)));
  }

  async unhide(userId: string, row: FeedbackRow): Promise<void> {
    await this.deps.repo.remove(userId, row);
    await this.copy(userId, (key) => this.deps.redis.srem(key, member(row)));
  }

  /** Makes sure the Redis copy exists (rebuilding it from MariaDB when it does not). */
  async ensureLoaded(userId: string): Promise<void> {
    const key = this.deps.keys.hidden(userId);
    if ((await this.deps.redis.sismember(key, LOADED)) === 0) await this.rebuild(userId);
  }

  private async copy(userId: string, change: (key: string) => Promise<unknown>): Promise<void> {
    const key = this.deps.keys.hidden(userId);
    if ((await this.deps.redis.sismember(key, LOADED)) === 1) await change(key);
    else await this.rebuild(userId);
  }

  private async rebuild(userId: string): Promise<void> {
    const key = this.deps.keys.hidden(userId);
    const rows = await this.deps.repo.list(userId);
    await this.deps.redis.multi().del(key).sadd(key, LOADED, ...rows.map(member)).exec();
  }
}
