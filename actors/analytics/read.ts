// Reading a window: the union of its buckets, best first, in one MULTI round trip.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AnalyticsKeys } from './keys.ts';

/** The top `limit` members over `keys` (scores summed); members at or below zero are left out (refunds). */
export async function topOf(redis: Redis, k: AnalyticsKeys, keys: string[], limit: number): Promise<Array<{ member: string; score: number }>> {
  if (keys.length === 0 || limit <= 0) return [];
  const tmp = k.union(randomBytes(6).toString('hex'));
  const res = await redis.multi()
    .zunionstore(tmp, keys.length, ...keys)
    .zrange(tmp, 0, limit - 1, 'REV', 'WITHSCORES')
    .del(tmp)
    .exec();
  const flat = (res?.[1]?.[1] ?? []) as string[];
  const out: Array<{ member: string; score: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const score = Number(flat[i + 1]);
    if (score > 0) out.push({ member: flat[i]!, score });
  }
  return out;
}

/** Scores of `members` summed over `keys`, one pipeline. */
export async function scoresOf(redis: Redis, keys: string[], members: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (keys.length === 0 || members.length === 0) return out;
  const p = redis.pipeline();
  for (const key of keys) p.zmscore(key, ...members);
  for (const [err, v] of (await p.exec()) ?? []) {
    if (err) throw err;
    (v as (string | null)[]).forEach((s, i) => {
      if (s !== null) out.set(members[i]!, (out.get(members[i]!) ?? 0) + Number(s));
    });
  }
  return out;
}
