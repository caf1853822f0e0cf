// The gateway's cache of live sessions on the real NATS: a crowd of sessions cached in one
// moment is not asked for again in one moment (each entry's age limit is drawn between 3/4
// of maxAgeMs and all of it), and no entry outlives maxAgeMs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { LiveSessions, issueToken, type SessionView } from '../actors/session/index.ts';
import { natsConnection } from './support/harness.ts';

let nc: NatsConnection;
test.before(async () => {
  nc = await natsConnection();
});
test.after(async () => {
  await nc?.close();
});

test('sessions cached together are checked again spread over the last quarter of the age limit, none later', async () => {
  let clock = 1_000_000;
  const sessions = new LiveSessions({ nc, cluster: `t_live_${randomBytes(3).toString('hex')}`, maxAgeMs: 60_000, now: () => clock });
  await sessions.start();
  try {
    const tokens = Array.from({ length: 200 }, () => issueToken());
    let asked = 0;
    const check = (t: (typeof tokens)[number]) => sessions.check(t.tokenHash, async (): Promise<SessionView> => {
      asked++;
      return { sessionId: t.sessionId, userId: `u-${t.sessionId}`, expiresAt: clock + 3_600_000 };
    });
    for (const t of tokens) await check(t);
    assert.is(asked, 200, 'each asked once to fill the cache');

    const askedAt = async (t: number) => {
      clock = 1_000_000 + t;
      asked = 0;
      for (const token of tokens) await check(token);
      return asked;
    };
    assert.is(await askedAt(44_000), 0, 'all fresh before 3/4 of the limit');
    const soon = await askedAt(52_000);
    assert.ok(soon > 20 && soon < 180, `some, not all, asked again a little before the limit (${soon})`);
    // Those asked again are fresh from then on; the others all reach their limit by 60 s.
    assert.is(await askedAt(60_000), 200 - soon);
  } finally {
    sessions.stop();
  }
});

test.run();
