// A user's own sessions (GET /v1/me/sessions, ending one, ending all the others): listed
// from the store, ended through each session's entity, exactly as a logout, so every
// gateway stops taking the token before the answer. Stateless; runs on the gateway.
import { RejectedError } from '../../cluster/index.ts';
import type { SessionRepository } from '../../stores/mysql/sessions.ts';
import type { SessionApi } from './api.ts';

export interface SessionListItem {
  sessionId: string;
  device: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

/**
 * Sessions read per batch when ending many, all of a batch ended at once: each revoke
 * holds its entity for the gateways' trust window (about 110 ms) before it answers, so at
 * 20 at a time a user with 10,000 sessions waited about a minute for a password change.
 */
const revokeBatch = 100;
/**
 * How far past its expiry (on this gateway's clock) a session is still ended: the node
 * judges expiry by its own clock, and a session this clock calls expired may not be there.
 */
const expirySkewMs = 60_000;

export class SessionService {
  constructor(private readonly repo: SessionRepository, private readonly api: SessionApi, private readonly now: () => number = Date.now) {}

  /** The user's live sessions, newest first (at most 100); `current` is the caller's own. */
  async list(userId: string, currentSessionId: string | undefined): Promise<SessionListItem[]> {
    const now = this.now();
    const live = await this.repo.listLive(userId, now);
    return live.map((s) => {
      const current = s.sessionId === currentSessionId;
      // Last-seen is stored at most once a minute; the session asking now is being seen now.
      const lastSeenAt = current ? Math.max(s.lastSeenAt, now) : s.lastSeenAt;
      return { sessionId: s.sessionId, device: s.device, createdAt: new Date(s.createdAt).toISOString(), lastSeenAt: new Date(lastSeenAt).toISOString(), current };
    });
  }

  /** Ends one of the user's sessions as a logout; another user's or an unknown one rejects `not_found`. */
  async revoke(userId: string, sessionId: string): Promise<void> {
    if (!/^[0-9a-f]{32}$/.test(sessionId)) throw new RejectedError('not_found', 'no such session');
    await this.api.revoke(sessionId, userId);
  }

  /**
   * Ends every live session of the user but `keepSessionId`, a batch at a time (any number
   * of them), each through its entity; answers how many it ended. Sessions are read by id
   * after the last one read, so each is asked once; one ended meanwhile by its own logout is
   * simply not read. A session that could not be ended does not stop the walk: every other
   * one is ended first, then the first failure is thrown, and a retry ends what is left.
   */
  async revokeOthers(userId: string, keepSessionId: string | undefined): Promise<number> {
    let revoked = 0;
    let after = '';
    let failure: unknown;
    const startedAt = this.now();
    for (;;) {
      const batch = await this.repo.liveIdsAfter(userId, startedAt - expirySkewMs, after, revokeBatch);
      const ids = batch.filter((id) => id !== keepSessionId);
      const results = await Promise.allSettled(ids.map((id) => this.api.revoke(id, userId)));
      for (const r of results) {
        if (r.status === 'fulfilled') revoked++;
        // Gone between the read and the revoke (deleted long after expiry): nothing to end.
        else if (!(r.reason instanceof RejectedError && r.reason.code === 'not_found')) failure ??= r.reason;
      }
      if (batch.length < revokeBatch) break;
      after = batch[batch.length - 1]!;
    }
    if (failure !== undefined) throw failure;
    return revoked;
  }
}
