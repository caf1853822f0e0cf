// The caller's own sessions and password (🔒): list the live sessions, end one or all the
// others (each through its session entity, as a logout: every gateway stops taking its
// token before the answer), change the password (which ends the others too).
import { Hono, type Context } from 'hono';
import { RejectedError } from '../../cluster/index.ts';
import { sessionIdOf } from '../../actors/session/index.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { noBody } from '../body.ts';
import { body } from '../validate.ts';
import { changePasswordBody } from '../schemas.ts';
import { RateLimiter } from '../rate-limit.ts';
import { accountFailuresKey, countingFailures } from '../failed-logins.ts';

/** The session of the token that made the request. */
function currentSession(c: Context<GatewayEnv>): string | undefined {
  const tokenHash = c.get('tokenHash');
  return tokenHash === undefined ? undefined : sessionIdOf(tokenHash);
}

export function meSessionRoutes(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const limiter = new RateLimiter(deps.redis, deps.keyPrefix);
  app.use('/v1/me/sessions', requireUser);
  app.use('/v1/me/sessions/*', requireUser);
  app.use('/v1/me/password', requireUser);

  app.get('/v1/me/sessions', async (c) => c.json({ items: await deps.sessions.list(userOf(c), currentSession(c)) }));

  app.post('/v1/me/sessions/revoke-others', async (c) => {
    await noBody(c);
    return c.json({ revoked: await deps.sessions.revokeOthers(userOf(c), currentSession(c)) });
  });

  app.delete('/v1/me/sessions/:sessionId', async (c) => {
    // Ids are the first 32 hex digits of a token's hash: anything else names no session.
    const sessionId = c.req.param('sessionId');
    if (!/^[0-9a-f]{32}$/.test(sessionId)) throw new HttpError(404, 'not_found', 'no such session');
    await deps.sessions.revoke(userOf(c), sessionId);
    return c.body(null, 204);
  });

  app.post('/v1/me/password', async (c) => {
    const userId = userOf(c);
    const input = await body(c, changePasswordBody);
    // A wrong current password counts against the account's failed logins, the count login
    // keeps (per account, per minute): a stolen token cannot guess the password faster here.
    const { email } = await deps.users.me(userId);
    await countingFailures(limiter, accountFailuresKey(email), deps.limits.loginFailuresPerMin, 'failed logins for this account', async () => {
      try {
        await deps.users.changePassword(userId, input, currentSession(c));
      } catch (err) {
        // A refusal checked two passwords (the current one, and the new one in case this is
        // the retry of a change already stored): it counts as two failed guesses.
        if (err instanceof RejectedError && err.code === 'invalid_credentials') await limiter.hit(accountFailuresKey(email), 60_000).catch(() => undefined);
        if (err instanceof RejectedError && err.code === 'same_password') {
          throw new HttpError(422, 'validation_failed', 'the body has invalid values: newPassword', [{ field: 'newPassword', problem: 'the same as the current password' }]);
        }
        throw err;
      }
    });
    return c.body(null, 204);
  });
  return app;
}
