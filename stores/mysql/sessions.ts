// Login sessions in MariaDB, written only by their `session:<id>` actor. Rows carry the
// token's hash, never the token.
import type { Pool } from './pool.ts';

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

interface SessionRow {
  session_id: string; token_hash: string; user_id: string; device: string;
  created_at: number | string; expires_at: number | string; last_seen_at: number | string; revoked_at: number | string | null;
}

export class SessionRepository {
  constructor(private readonly pool: Pool) {}

  async load(sessionId: string): Promise<SessionRecord | undefined> {
    const [rows] = await this.pool.query('SELECT * FROM sessions WHERE session_id = ?', [sessionId]);
    const r = (rows as SessionRow[])[0];
    if (!r) return undefined;
    return {
      sessionId: r.session_id, tokenHash: r.token_hash, userId: r.user_id, device: r.device,
      createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), lastSeenAt: Number(r.last_seen_at),
      revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    };
  }

  async insert(s: SessionRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO sessions (session_id, token_hash, user_id, device, created_at, expires_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [s.sessionId, s.tokenHash, s.userId, s.device, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt],
    );
  }

  /** Revocation and last-seen only move forward, so these writes need no fencing version. */
  async revoke(sessionId: string, at: number): Promise<void> {
    await this.pool.query('UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE session_id = ?', [at, sessionId]);
  }

  async touch(sessionId: string, lastSeenAt: number): Promise<void> {
    await this.pool.query('UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, ?) WHERE session_id = ?', [lastSeenAt, sessionId]);
  }
}
