// Admin authorisation: the ADMIN_TOKEN from the environment, sent as a bearer token.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayDeps } from './deps.ts';
import { HttpError } from './errors.ts';

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function requireAdmin(deps: GatewayDeps): MiddlewareHandler {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
    if (!deps.adminToken || !same(token, deps.adminToken)) throw new HttpError(403, 'forbidden', 'this route needs the admin token');
    await next();
  };
}
