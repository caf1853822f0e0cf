// CORS for browsers on other origins, configured by CORS_ORIGINS: exact origins
// ("https://shop.example,https://admin.example") or "*" for any. Unset: no CORS headers,
// so only pages served by the gateway itself (the storefront) may call the API.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { GatewayEnv } from './env.ts';

/** What a client script may read from a response besides the safelisted headers. */
export const exposed = ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'ETag', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];
const allowed = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Device-Id', 'X-Request-Id', 'If-None-Match'];

/** Parses CORS_ORIGINS; throws a message naming the bad entry. */
export function parseCorsOrigins(raw: string | undefined): string[] {
  if (!raw || raw.trim() === '') return [];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of list) {
    if (o === '*') continue;
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new Error(`"${o}" is not an origin such as https://shop.example`);
    }
    if (u.origin !== o) throw new Error(`"${o}" is not an origin (scheme://host[:port], no path or trailing slash); did you mean ${u.origin}?`);
  }
  return list;
}

export function corsFor(origins: string[]): MiddlewareHandler<GatewayEnv> | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes('*');
  const set = new Set(origins);
  return cors({
    origin: (origin) => (any ? '*' : set.has(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: allowed,
    exposeHeaders: exposed,
    maxAge: 600,
  });
}
