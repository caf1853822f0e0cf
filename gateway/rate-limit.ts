// Rate limits as fixed-window counters in Redis, shared by every gateway process: a
// window's key counts hits and expires with the window. Over the limit → 429 with
// Retry-After (the seconds until the window ends).
import type { Redis } from 'ioredis';
import { HttpError } from './errors.ts';

// INCR and set the expiry on the first hit, in one round trip; returns [count, ms left].
const script = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return {n, ttl}`;

type Counting = Redis & { rateHit(key: string, windowMs: number, by: number): Promise<[number, number]> };

export class RateLimiter {
  private readonly redis: Counting;

  constructor(redis: Redis, private readonly prefix: string) {
    if (!('rateHit' in redis)) redis.defineCommand('rateHit', { numberOfKeys: 1, lua: script });
    this.redis = redis as Counting;
  }

  /** Counts one hit (or `by`) in `key`'s current window; returns the count and the ms left. */
  async hit(key: string, windowMs: number, by = 1): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = await this.redis.rateHit(`${this.prefix}:rl:${key}`, windowMs, by);
    return { count, resetMs: ttl > 0 ? ttl : windowMs };
  }

  /** The count so far in `key`'s window, without counting. */
  async peek(key: string): Promise<{ count: number; resetMs: number }> {
    const k = `${this.prefix}:rl:${key}`;
    const [count, ttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return { count: Number(count ?? 0), resetMs: ttl > 0 ? ttl : 0 };
  }

  /** Counts a hit and throws 429 when it is over `limit`. */
  async enforce(key: string, limit: number, windowMs: number, what: string): Promise<void> {
    const { count, resetMs } = await this.hit(key, windowMs);
    if (count > limit) throw tooMany(what, limit, windowMs, resetMs);
  }
}

export function tooMany(what: string, limit: number, windowMs: number, resetMs: number): HttpError {
  const per = windowMs >= 60_000 ? 'minute' : 'second';
  return new HttpError(429, 'rate_limited', `too many ${what}: at most ${limit} per ${per}`, { limit, windowSeconds: windowMs / 1000 }, Math.max(1, Math.ceil(resetMs / 1000)));
}

interface Window {
  window: number;
  /** Hits counted here and not yet sent to Redis. */
  pending: number;
  /** Hits sent to Redis whose answer has not come back yet: still counted. */
  flushing: number;
  /** The window's count across gateways, as Redis last said. */
  global: number;
}

/**
 * The per-request limit (every request, per IP) without a Redis round trip on the request
 * path: hits are counted in memory and added to the shared Redis window every `flushMs`;
 * each gateway decides on the last global count it heard plus its own unflushed hits.
 * Across several gateways a window may overshoot by what they count within one flush.
 */
export class BatchedWindowLimiter {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limiter: RateLimiter, private readonly windowMs: number, private readonly flushMs = 50) {}

  /**
   * Counts a hit for `key`; throws 429 when the window is over `limit`. Returns what is
   * left of the window (for the RateLimit-* headers): hits remaining and seconds to reset.
   */
  enforce(key: string, limit: number, what: string): { remaining: number; resetSeconds: number } {
    const now = Date.now();
    const window = Math.floor(now / this.windowMs);
    let w = this.windows.get(key);
    if (!w || w.window !== window) {
      w = { window, pending: 0, flushing: 0, global: 0 };
      this.windows.set(key, w);
    }
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * this.windowMs - now) / 1000));
    if (w.global + w.flushing + w.pending >= limit) throw tooMany(what, limit, this.windowMs, (window + 1) * this.windowMs - now);
    w.pending++;
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    return { remaining: Math.max(0, limit - w.global - w.flushing - w.pending), resetSeconds };
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const current = Math.floor(Date.now() / this.windowMs);
    const work: Promise<void>[] = [];
    for (const [key, w] of this.windows) {
      if (w.window < current - 1) {
        this.windows.delete(key);
        continue;
      }
      if (w.pending === 0) continue;
      const by = w.pending;
      w.pending = 0;
      // Counted as in flight until Redis answers: dropping them meanwhile let a burst
      // through at up to twice the limit.
      w.flushing += by;
      work.push(this.limiter.hit(`${key}:${w.window}`, this.windowMs * 2, by).then(
        ({ count }) => {
          w.flushing -= by;
          w.global = Math.max(w.global, count);
        },
        () => {
          w.flushing -= by;
          w.pending += by; // Redis down: keep counting locally, try again next flush
        },
      ));
    }
    await Promise.all(work);
  }
}

/** What is left after a refusal (429): nothing, until the window the refusal names resets. */
export function refusedLeft(err: { retryAfterSeconds?: number | undefined }): { remaining: number; resetSeconds: number } {
  return { remaining: 0, resetSeconds: err.retryAfterSeconds ?? 1 };
}

/**
 * The RateLimit-* headers (IETF draft) of an answer under a per-second limit: what is left
 * after this request, or none left and when the window resets after a refusal.
 */
export function rateLimitHeaders(limit: number, left: { remaining: number; resetSeconds: number }, windowSeconds = 1): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit), 'RateLimit-Remaining': String(left.remaining),
    'RateLimit-Reset': String(left.resetSeconds), 'RateLimit-Policy': `${limit};w=${windowSeconds}`,
  };
}

/**
 * The RateLimit-* headers of a 429 made by `tooMany`: those of the limit that refused
 * (none left, reset when Retry-After says), whichever limit that was.
 */
export function refusalHeaders(err: HttpError): Record<string, string> | undefined {
  const d = err.details as { limit?: unknown; windowSeconds?: unknown } | undefined;
  if (err.status !== 429 || typeof d?.limit !== 'number' || typeof d.windowSeconds !== 'number') return undefined;
  return rateLimitHeaders(d.limit, refusedLeft(err), d.windowSeconds);
}
