// Session rows go a day after their expiry (logged out or not), a chunk at a time in
// expiry order, their epoch rows with them; live sessions and recently expired ones stay.
// Against the real MariaDB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SessionRepository, sessionRowKeptAfterExpiryMs } from '../stores/mysql/sessions.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'sessret');
const hour = 3600_000;

async function session(id: string, expiresAt: number, revokedAt: number | null = null): Promise<void> {
  await db.pool.query(
    `INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at, revoked_at)
     VALUES (?, REPEAT('a', 64), 'u1', '', ?, ?, ?, ?)`,
    [id, expiresAt - 720 * hour, expiresAt, expiresAt - 720 * hour, revokedAt],
  );
}

async function ids(): Promise<string[]> {
  const [rows] = await db.pool.query('SELECT session_id FROM sessions ORDER BY session_id');
  return (rows as { session_id: string }[]).map((r) => r.session_id);
}

test('sessions a day past their expiry go, a bounded number of chunks a call; live and recently expired ones stay', async () => {
  const now = Date.now();
  await session('expired-two-days', now - 48 * hour);
  await session('logged-out-and-expired', now - 30 * hour, now - 700 * hour);
  await session('expired-three-days', now - 72 * hour);
  await session('expired-twelve-hours', now - 12 * hour);
  await session('live', now + 24 * hour);
  await session('logged-out-live', now + 24 * hour, now - hour);
  const repo = new SessionRepository(db.pool);
  assert.is(sessionRowKeptAfterExpiryMs, 24 * hour);
  assert.is(await repo.purgeExpired(now, { chunk: 2, maxChunks: 1 }), 2, 'one chunk of two, oldest first');
  assert.equal(await ids(), ['expired-twelve-hours', 'live', 'logged-out-and-expired', 'logged-out-live'], 'the two that expired first');
  assert.is(await repo.purgeExpired(now), 1, 'the rest on the next call');
  assert.is(await repo.purgeExpired(now), 0);
  assert.equal(await ids(), ['expired-twelve-hours', 'live', 'logged-out-live']);
  assert.ok(await repo.load('live'), 'a live session still loads');
});

test("a purged session's epoch row goes with it, and its token, shown again, writes nothing back", async () => {
  const now = Date.now();
  const repo = new SessionRepository(db.pool);
  await session('ep-old', now - 48 * hour);
  await session('ep-live', now + 24 * hour);
  for (const id of ['ep-old', 'ep-old', 'ep-live']) assert.ok((await repo.claimAndLoad(id, true)).fence, `${id} exists and is claimed`);
  const epochs = async () => {
    const [rows] = await db.pool.query("SELECT entity_id, epoch FROM entity_epochs WHERE entity_type = 'session' AND entity_id LIKE 'ep-%' ORDER BY entity_id");
    return (rows as { entity_id: string; epoch: number | string }[]).map((r) => `${r.entity_id}:${Number(r.epoch)}`);
  };
  assert.equal(await epochs(), ['ep-live:1', 'ep-old:2']);
  assert.is(await repo.purgeExpired(now), 1);
  assert.equal(await epochs(), ['ep-live:1'], "the purged session's epoch row went");
  assert.equal(await repo.claimAndLoad('ep-old', true), { fence: undefined, record: undefined }, 'no session, no claim');
  assert.equal(await epochs(), ['ep-live:1'], 'and no row written back');
  // A session opened under that id after all (a resent login) claims above what was retired.
  assert.ok((await repo.claimAndLoad('ep-old')).fence!.epoch > 2);
});

test('the purge reads a range of an index on the expiry, not the whole table', async () => {
  const [rows] = await db.pool.query("SHOW INDEX FROM sessions WHERE Key_name = 'sessions_expiry'");
  assert.equal((rows as { Column_name: string }[]).map((r) => r.Column_name), ['expires_at']);
});

test.run();
