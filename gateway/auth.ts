// Authorisation: users send the bearer token from signup or login, which their session
// entity (the single owner) vouches for — asked on a gateway's first sight of the token,
// then remembered until its session entity announces a logout (LiveSessions); operators
// send ADMIN_TOKEN from the environment.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { RejectedError } from '../cluster/index.ts';
import { SessionApi, hashToken, looksLikeToken } from '../actors/session/index.ts';
import type { GatewayDeps } from './deps.ts';
import type { GatewayEnv } from './env.ts';
import { HttpError } from './errors.ts';
import { limitedAs } from './client-ip.ts';
import { RateLimiter, tooMany } from './rate-limit.ts';

const minute = 60_000;

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Compared as SHA-256 digests: equal lengths always, so the time taken says nothing about
 * the admin token's length either (a length check first answered a wrong length sooner).
 */
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Whether an Authorization header carries the admin token. */
export function hasAdminToken(deps: Pick<GatewayDeps, 'adminToken'>, authorization: string | undefined): boolean {
  const token = bearer(authorization);
  return token !== undefined && deps.adminToken !== undefined && same(token, deps.adminToken);
}

export function requireAdmin(deps: GatewayDeps): MiddlewareHandler<GatewayEnv> {
  const limiter = new RateLimiter(deps.redis, deps.keyPrefix);
  const limit = deps.limits.authPerMin;
  return async (c, next) => {
    // API.md: 🛠 routes need the admin token, "403 otherwise": no token at all is 403 too,
    // not the 401 of 🔒 routes (no user token can ever open these).
    const authorization = c.req.header('authorization');
    if (!bearer(authorization)) throw new HttpError(403, 'forbidden', 'this route needs the admin token: send Authorization: Bearer <ADMIN_TOKEN>');
    // Wrong tokens are counted per address, atomically; past the limit an address is
    // refused even with the right token, or guessing on through the 429s would still find
    // it. A right token is never counted: an operator's script making 50 calls at once was
    // refused when each counted and gave back. With Redis unreachable nothing is counted:
    // the operator keeps the admin routes, and the token's own length is the guard meanwhile.
    const key = `adminfail:${limitedAs(c.get('clientIp'))}`;
    if (!hasAdminToken(deps, authorization)) {
      // A token a live session vouches for (authenticate ran first) is a signed-in user on
      // the wrong route, not a guess at the admin token: 403, never counted. Counted, 30 of
      // them in a minute turned the user's 403 into 429 and locked the operator's right
      // token out of that address for the rest of the minute.
      if (c.get('userId') !== undefined) throw new HttpError(403, 'forbidden', 'this route needs the admin token');
      const counted = await limiter.hit(key, minute).catch(() => undefined);
      if (counted && counted.count > limit) throw tooMany('wrong admin tokens from this address', limit, minute, counted.resetMs);
      throw new HttpError(403, 'forbidden', 'this route needs the admin token');
    }
    const wrongSoFar = await limiter.peek(key).catch(() => undefined);
    if (wrongSoFar && wrongSoFar.count >= limit) throw tooMany('wrong admin tokens from this address', limit, minute, wrongSoFar.resetMs);
    await next();
  };
}

/**
 * Resolves the user behind a bearer token, when there is one, into `c.var.userId`. An
 * invalid token leaves it unset (routes that need a user then answer 401); a session
 * entity that cannot be reached is a 503, not a silent logout.
 */
export function authenticate(deps: GatewayDeps): MiddlewareHandler<GatewayEnv> {
  const sessions = new SessionApi(deps.client);
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (token && looksLikeToken(token)) {
      const tokenHash = hashToken(token);
      try {
        const ask = () => sessions.check(tokenHash, { deadlineMs: 3000 });
        const s = deps.liveSessions ? await deps.liveSessions.check(tokenHash, ask) : await ask();
        c.set('userId', s.userId);
        c.set('tokenHash', tokenHash);
      } catch (err) {
        if (!(err instanceof RejectedError)) throw err;
      }
    }
    await next();
  };
}

/** The 401 of a 🔒 route: no Authorization header at all, or a token that is not valid. */
export function notAuthenticated(sent: boolean): HttpError {
  return new HttpError(401, sent ? 'invalid_token' : 'unauthenticated', sent ? 'the token is not valid (unknown, expired or logged out)' : 'send Authorization: Bearer <token>');
}

/** 🔒 routes: 401 without a valid user token. */
export const requireUser: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  if (!c.get('userId')) throw notAuthenticated(c.req.header('authorization') !== undefined);
  await next();
};

/** The authenticated user's id (only after requireUser). */
export function userOf(c: { get(key: 'userId'): string | undefined }): string {
  const id = c.get('userId');
  if (!id) throw new HttpError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
  return id;
}
