// Reads of the precomputed outputs (Redis only: these are on request paths).
import type { Redis } from 'ioredis';
import type { RecKeys } from './keys.ts';
import { parseHidden, type Hidden, type RelatedList, type UserRecs } from './model.ts';

export class RecReader {
  constructor(private readonly redis: Redis, readonly keys: RecKeys) {}

  async hidden(userId: string): Promise<Hidden> {
    return parseHidden(await this.redis.smembers(this.keys.hidden(userId)));
  }

  async userRecs(userId: string): Promise<UserRecs> {
    const raw = await this.redis.get(this.keys.forUser(userId));
    return raw ? (JSON.parse(raw) as UserRecs) : [];
  }

  async related(sku: string): Promise<RelatedList | undefined> {
    const raw = await this.redis.get(this.keys.related(sku));
    return raw ? (JSON.parse(raw) as RelatedList) : undefined;
  }

  async bought(userId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.bought(userId));
  }

  /** Categories of SKUs as the events told them ("" when unknown). */
  async categoriesOf(skus: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (skus.length === 0) return out;
    const cats = await this.redis.hmget(this.keys.categories(), ...skus);
    skus.forEach((s, i) => out.set(s, cats[i] ?? ''));
    return out;
  }
}
