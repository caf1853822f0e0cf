// Idempotency-Key on POST: the first request with a key does the work and its response is
// kept in Redis; the same key with the same body gets that response again (status and
// body), also while the first is still running (it waits for it); the same key with a
// different body is 422 `idempotency_key_reused`. Keys are scoped per user, or per IP
// for anonymous calls, so two callers never see each other's responses.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { GatewayEnv } from './env.ts';
import { HttpError } from './errors.ts';

interface Pending { s: 'pending'; fp: string }
interface Done { s: 'done'; fp: string; status: number; body: string; type: string | null }
type Stored = Pending | Done;

const keyPattern = /^[\x21-\x7e]{1,255}$/;
const pendingTtlMs = 60_000;
const waitForFirstMs = 15_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function idempotency(redis: Redis, prefix: string, ttlSeconds: number): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!keyPattern.test(key)) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
    const scope = c.get('userId') ?? `ip:${c.get('clientIp')}`;
    const body = await c.req.text();
    const fp = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(body).digest('hex');
    const redisKey = `${prefix}:idem:${scope}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;

    const until = Date.now() + waitForFirstMs;
    for (;;) {
      const won = await redis.set(redisKey, JSON.stringify({ s: 'pending', fp } satisfies Pending), 'PX', pendingTtlMs, 'NX');
      if (won) break;
      const raw = await redis.get(redisKey);
      if (raw === null) continue; // the first attempt failed and let go of the key: take it
      const stored = JSON.parse(raw) as Stored;
      if (stored.fp !== fp) {
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key');
      }
      if (stored.s === 'done') {
        const headers: Record<string, string> = { 'Idempotent-Replayed': 'true' };
        if (stored.type) headers['Content-Type'] = stored.type;
        return c.newResponse(stored.status === 204 ? null : stored.body, stored.status as 200, headers);
      }
      if (Date.now() > until) {
        throw new HttpError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being processed; retry shortly', undefined);
      }
      await sleep(25);
    }

    await next();
    const res = c.res;
    if (res.status >= 500) {
      // Nothing was promised: let a retry with the same key do the work.
      await redis.del(redisKey);
      return;
    }
    const done: Done = { s: 'done', fp, status: res.status, body: await res.clone().text(), type: res.headers.get('content-type') };
    await redis.set(redisKey, JSON.stringify(done), 'EX', ttlSeconds);
  };
}
