// A user's own sessions (GET /v1/me/sessions, ending one, ending all the others): listed
// from the store, ended through each session's entity, exactly as a logout, so every
// gateway stops taking the token before the answer. Stateless; runs on the gateway.
import { RejectedError } from '../../cluster/index.ts';
import { maxListedSessions, type SessionRepository } from '../../stores/mysql/sessions.ts';
import type { SessionApi } from './api.ts';

export interface SessionListItem {
  sessionId: string;
  device: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

/** Sessions read per batch when ending many, and how many of a batch are ended at once. */
const revokeBatch = 100;
const revokeConcurrency = 20;

export class SessionService {
  constructor(private readonly repo: SessionRepository, private readonly api: SessionApi, private readonly now: () => number = Date.now) {}

  /** The user's live sessions, newest first (at most 100); `current` is the caller's own. */
  async list(userId: string, currentSessionId: string | undefined): Promise<SessionListItem[]> {
    const now = this.now();
    const live = await this.repo.listLive(userId, now, maxListedSessions);
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
   * simply not read. A failure stops the walk and is thrown: what was ended stays ended, and a
   * retry ends the rest.
   */
  async revokeOthers(userId: string, keepSessionId: string | undefined): Promise<number> {
    let revoked = 0;
    let after = '';
    const startedAt = this.now();
    for (;;) {
      const batch = await this.repo.liveIdsAfter(userId, startedAt, after, revokeBatch);
      const ids = batch.filter((id) => id !== keepSessionId);
      for (let i = 0; i < ids.length; i += revokeConcurrency) {
        const results = await Promise.allSettled(ids.slice(i, i + revokeConcurrency).map((id) => this.api.revoke(id, userId)));
        for (const r of results) {
          if (r.status === 'fulfilled') revoked++;
          // Gone between the read and the revoke (deleted long after expiry): nothing to end.
          else if (!(r.reason instanceof RejectedError && r.reason.code === 'not_found')) throw r.reason;
        }
      }
      if (batch.length < revokeBatch) break;
      after = batch[batch.length - 1]!;
    }
    return revoked;
  }
}
