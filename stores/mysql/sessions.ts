// Login sessions in MariaDB, written only by their `session:<id>` actor, each write fenced
// by the activation's epoch. Rows carry the token's hash, never the token.
import type { Pool } from './pool.ts';
import { claimEpoch, claimEpochAndRead, claimEpochIfExists, guard, retireEpochs, type Fence } from './epochs.ts';
import type { Statement } from './writes.ts';
import { DirectWriter, type Writer } from './journal.ts';
import { purgeInChunks, type PurgeLimits } from './purge.ts';

/**
 * How long a session row outlives its expiry before it is deleted. An expired session is
 * refused whether its row is there or not (`invalid_session` either way); the day only
 * keeps recent ones for whoever looks into a complaint.
 */
export const sessionRowKeptAfterExpiryMs = 24 * 3600_000;

export interface SessionRecord {
  sessionId: string;
  tokenHash: string;
  userId: string;
  device: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
}

/** At most this many sessions are listed (GET /v1/me/sessions): the newest. */
export const maxListedSessions = 100;

/** A live session as its user may see it: no token hash. */
export interface LiveSession {
  sessionId: string;
  device: string;
  createdAt: number;
  lastSeenAt: number;
}

interface SessionRow {
  session_id: string; token_hash: string; user_id: string; device: string;
  created_at: number | string; expires_at: number | string; last_seen_at: number | string; revoked_at: number | string | null;
}

function selectSession(sessionId: string): Statement {
  return { sql: 'SELECT * FROM sessions WHERE session_id = ?', params: [sessionId] };
}

function fromRow(r: SessionRow): SessionRecord {
  return {
    sessionId: r.session_id, tokenHash: r.token_hash, userId: r.user_id, device: r.device,
    createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), lastSeenAt: Number(r.last_seen_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export class SessionRepository {
  private readonly writer: Writer;

  /** `writer`: the node's journal, so session writes share its batches (default: one transaction each). */
  constructor(private readonly pool: Pool, writer?: Writer) {
    this.writer = writer ?? new DirectWriter(pool);
  }

  /** Claims the session for a new activation; call before `load`. */
  claim(sessionId: string): Promise<Fence> {
    return claimEpoch(this.pool, 'session', sessionId);
  }

  /**
   * Claims the session and reads it after the claim, in one round trip. `ifExists` (an
   * activation): only a session that exists; for one that does not (a made-up or
   * long-deleted token), neither a fence nor a record, and nothing written; such an
   * activation claims without it before it opens the session.
   */
  async claimAndLoad(sessionId: string, ifExists = false): Promise<{ fence: Fence | undefined; record: SessionRecord | undefined }> {
    const { fence, rows } = ifExists
      ? await claimEpochIfExists<SessionRow>(this.pool, 'session', sessionId, { sql: 'SELECT 1 FROM sessions WHERE session_id = ?', params: [sessionId] }, selectSession(sessionId))
      : await claimEpochAndRead<SessionRow>(this.pool, 'session', sessionId, selectSession(sessionId));
    return { fence, record: rows[0] && fromRow(rows[0]) };
  }

  async load(sessionId: string): Promise<SessionRecord | undefined> {
    const { sql, params } = selectSession(sessionId);
    const [rows] = await this.pool.query(sql, params);
    const r = (rows as SessionRow[])[0];
    return r && fromRow(r);
  }

  /**
   * Deletes sessions expired more than `sessionRowKeptAfterExpiryMs` before `now`, oldest
   * first, `chunk` at a time (index sessions_expiry), and their epoch rows with them
   * (retired under the floor, epochs.ts `retireEpochs`: nothing reactivates a session
   * without its row); returns how many sessions went. A logged-out session goes when it
   * would have expired. The epochs go first: a round stopped between the two leaves the
   * sessions for the next round, never an epoch row that nothing would find again.
   */
  purgeExpired(now: number, limits: PurgeLimits = {}): Promise<number> {
    return purgeInChunks(this.pool, {
      from: 'sessions', where: 'expires_at < ?', params: [now - sessionRowKeptAfterExpiryMs], orderBy: 'expires_at', ...limits,
      first: { key: 'session_id', before: (ids) => retireEpochs(this.pool, 'session', ids) },
    });
  }

  /**
   * The user's live sessions (not revoked, not expired at `now`), newest first, at most
   * `maxListedSessions`. Token hashes stay here: the views carry none.
   */
  async listLive(userId: string, now: number): Promise<LiveSession[]> {
    const [rows] = await this.pool.query(
      `SELECT session_id, device, created_at, last_seen_at FROM sessions
       WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, session_id DESC LIMIT ?`,
      [userId, now, maxListedSessions],
    );
    return (rows as Pick<SessionRow, 'session_id' | 'device' | 'created_at' | 'last_seen_at'>[]).map((r) => ({
      sessionId: r.session_id, device: r.device, createdAt: Number(r.created_at), lastSeenAt: Number(r.last_seen_at),
    }));
  }

  /**
   * The ids of the user's live sessions after `afterId` in id order, at most `limit`: one
   * batch of a walk over all of them (pass the last id back for the next), so a user with
   * any number of sessions is read a bounded batch at a time.
   */
  async liveIdsAfter(userId: string, now: number, afterId: string, limit: number): Promise<string[]> {
    const [rows] = await this.pool.query(
      'SELECT session_id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND session_id > ? ORDER BY session_id LIMIT ?',
      [userId, now, afterId, limit],
    );
    return (rows as { session_id: string }[]).map((r) => r.session_id);
  }

  async insert(fence: Fence, s: SessionRecord): Promise<void> {
    await this.writer.write([guard(fence), {
      sql: 'INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?);',
      params: [s.sessionId, s.tokenHash, s.userId, s.device, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt],
    }], `session ${s.sessionId}`);
  }

  /** Revocation and last-seen only move forward, so these need the epoch but no version. */
  async revoke(fence: Fence, sessionId: string, at: number): Promise<void> {
    await this.writer.write([guard(fence), {
      sql: 'UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE session_id = ?;', params: [at, sessionId],
    }], `session ${sessionId}`);
  }

  async touch(fence: Fence, sessionId: string, lastSeenAt: number): Promise<void> {
    await this.writer.write([guard(fence), {
      sql: 'UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, ?) WHERE session_id = ?;', params: [lastSeenAt, sessionId],
    }], `session ${sessionId}`);
  }
}
