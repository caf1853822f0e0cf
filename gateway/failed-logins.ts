// Failed password checks, counted per minute: per address and per account for login, per
// account for a password change, so neither route is a way around the other's count.
import { createHash } from 'node:crypto';
import { RejectedError } from '../cluster/index.ts';
import { normalizeEmail } from '../actors/users/index.ts';
import { tooMany, type RateLimiter } from './rate-limit.ts';

const minute = 60_000;

/** The per-account count's key: login and a password change share it. */
export function accountFailuresKey(email: string): string {
  return `loginfail:${createHash('sha256').update(normalizeEmail(email)).digest('hex').slice(0, 32)}`;
}

/**
 * `attempt`, counted against `key`'s limit per minute: counted before it runs, atomically,
 * so parallel guesses cannot all pass a check made before any of them was counted; given
 * back unless it failed with invalid_credentials (API.md: 429 after repeated failures).
 */
export async function countingFailures<T>(limiter: RateLimiter, key: string, limit: number, what: string, attempt: () => Promise<T>): Promise<T> {
  const counted = await limiter.hit(key, minute);
  if (counted.count > limit) throw tooMany(what, limit, minute, counted.resetMs);
  let failed = false;
  try {
    return await attempt();
  } catch (err) {
    failed = err instanceof RejectedError && err.code === 'invalid_credentials';
    throw err;
  } finally {
    // Not awaited: giving the count back is best effort, and a Redis that hangs would hold
    // the answer a command timeout per give-back (a login gives back two). One
    // connection sends in order, so this gateway's next count of the key comes after it.
    if (!failed) void limiter.hit(key, minute, -1).catch(() => undefined);
  }
}
