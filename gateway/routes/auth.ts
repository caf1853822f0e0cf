// Signup, login and logout. Attempts are rate limited per IP, failed logins per account.
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { RejectedError } from '../../cluster/index.ts';
import { normalizeEmail } from '../../actors/users/index.ts';
import { SessionApi } from '../../actors/session/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser } from '../auth.ts';
import { RateLimiter, tooMany } from '../rate-limit.ts';
import { body } from '../validate.ts';
import { loginBody, signupBody } from '../schemas.ts';

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
    limiter.enforce(`auth:${c.get('clientIp')}`, limits.authPerMin, minute, 'signup and login attempts from this address');

  app.post('/v1/auth/signup', async (c) => {
    await attemptsFromIp(c);
    const input = await body(c, signupBody);
    return c.json(await deps.users.signup(input, device(c)), 201);
  });

  app.post('/v1/auth/login', async (c) => {
    await attemptsFromIp(c);
    const input = await body(c, loginBody);
    const account = `loginfail:${createHash('sha256').update(normalizeEmail(input.email)).digest('hex').slice(0, 32)}`;
    // Counted before the password is checked, atomically, so parallel guesses cannot all
    // pass a check made before any of them was counted; a login that turns out right (or
    // fails for another reason) takes its count back.
    const counted = await limiter.hit(account, minute);
    if (counted.count > limits.loginFailuresPerMin) throw tooMany('failed logins for this account', limits.loginFailuresPerMin, minute, counted.resetMs);
    let failed = false;
    try {
      return c.json(await deps.users.login(input, device(c)), 200);
    } catch (err) {
      failed = err instanceof RejectedError && err.code === 'invalid_credentials';
      throw err;
    } finally {
      if (!failed) await limiter.hit(account, minute, -1).catch(() => undefined);
    }
  });

  app.post('/v1/auth/logout', requireUser, async (c) => {
    await sessions.close(c.get('tokenHash')!);
    return c.body(null, 204);
  });
  return app;
}
