// Signup, login and logout. Signups and failed logins are rate limited per IP, failed
// logins per account too.
import { Hono, type Context } from 'hono';
import { RejectedError } from '../../cluster/index.ts';
import { SessionApi, hashToken, looksLikeToken } from '../../actors/session/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { bearer, notAuthenticated } from '../auth.ts';
import { limitedAs } from '../client-ip.ts';
import { RateLimiter } from '../rate-limit.ts';
import { accountFailuresKey, countingFailures } from '../failed-logins.ts';
import { body } from '../validate.ts';
import { loginBody, signupBody } from '../schemas.ts';
import { noBody } from '../body.ts';

const minute = 60_000;

function device(c: Context<GatewayEnv>): string {
  return (c.req.header('user-agent') ?? '').slice(0, 200);
}

export function authRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const limiter = new RateLimiter(deps.redis, deps.keyPrefix);
  const sessions = new SessionApi(deps.client);
  const { limits } = deps;
  const attemptsFromIp = (c: Context<GatewayEnv>) =>
    limiter.enforce(`auth:${limitedAs(c.get('clientIp'))}`, limits.authPerMin, minute, 'signups and failed logins from this address');

  app.post('/v1/auth/signup', async (c) => {
    await attemptsFromIp(c);
    const input = await body(c, signupBody);
    return c.json(await deps.users.signup(input, device(c), c.req.header('idempotency-key')), 201);
  });

  // Failures count per address and per account; a login that succeeds counts nowhere:
  // counted per address, the 25th correct login of a minute from one office, load tester
  // or proxy was refused.
  app.post('/v1/auth/login', (c) => countingFailures(limiter, `auth:${limitedAs(c.get('clientIp'))}`, limits.authPerMin, 'signups and failed logins from this address', async () => {
    const input = await body(c, loginBody);
    return countingFailures(limiter, accountFailuresKey(input.email), limits.loginFailuresPerMin, 'failed logins for this account',
      async () => c.json(await deps.users.login(input, device(c)), 200));
  }));

  app.post('/v1/auth/logout', async (c) => {
    // Not requireUser: a logout asked again with the token it closed (its answer was lost,
    // or it was a 503 timeout, which says "retry") is 204 again, and announced again; the
    // session entity knows the token. A token it never issued is still 401.
    const token = bearer(c.req.header('authorization'));
    if (token === undefined || !looksLikeToken(token)) throw notAuthenticated(c.req.header('authorization') !== undefined);
    await noBody(c);
    try {
      await sessions.close(c.get('tokenHash') ?? hashToken(token));
    } catch (err) {
      if (err instanceof RejectedError) throw notAuthenticated(true);
      throw err;
    }
    return c.body(null, 204);
  });
  return app;
}
