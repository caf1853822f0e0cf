// The session decisions, free of I/O: given what the session holds and a message, what to
// answer and what to write.
import { timingSafeEqual } from 'node:crypto';
import { RejectedError } from '../../cluster/index.ts';
import type { SessionRecord } from '../../stores/mysql/sessions.ts';
import type { SessionMsg, SessionReply } from './messages.ts';

export type SessionEffect = { insert: SessionRecord } | { revoke: number } | undefined;

export type SessionDecision =
  | { ok: SessionReply; next: SessionRecord | undefined; effect: SessionEffect }
  | { rejected: RejectedError };

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const invalid = () => ({ rejected: new RejectedError('invalid_session', 'the token is not valid (unknown, expired or logged out)') });

/** `current` is undefined when the store has no such session. */
export function decideSession(sessionId: string, current: SessionRecord | undefined, msg: SessionMsg, now: number): SessionDecision {
  switch (msg.op) {
    case 'open': {
      if (current) {
        // A retried open (same token) answers as the first did; anything else is a collision.
        if (sameHash(current.tokenHash, msg.tokenHash) && current.userId === msg.userId) {
          return { ok: { sessionId, userId: current.userId, expiresAt: current.expiresAt }, next: current, effect: undefined };
        }
        return { rejected: new RejectedError('session_exists', 'a session with this id exists') };
      }
      const record: SessionRecord = {
        sessionId, tokenHash: msg.tokenHash, userId: msg.userId, device: msg.device,
        createdAt: now, expiresAt: now + msg.ttlMs, lastSeenAt: now, revokedAt: null,
      };
      return { ok: { sessionId, userId: record.userId, expiresAt: record.expiresAt }, next: record, effect: { insert: record } };
    }
    case 'check': {
      if (!current || current.revokedAt !== null || current.expiresAt <= now || !sameHash(current.tokenHash, msg.tokenHash)) return invalid();
      return { ok: { sessionId, userId: current.userId, expiresAt: current.expiresAt }, next: { ...current, lastSeenAt: now }, effect: undefined };
    }
    case 'close':
      if (!current || !sameHash(current.tokenHash, msg.tokenHash)) return invalid();
      return end(current);
    case 'revoke':
      // Another user's session answers as one that does not exist.
      if (!current || current.userId !== msg.userId) return { rejected: new RejectedError('not_found', 'no such session') };
      return end(current);
  }

  /** A logout or a revoke: one ended already is answered (and announced) again, as a repeated logout. */
  function end(current: SessionRecord): SessionDecision {
    if (current.revokedAt !== null) return { ok: { sessionId, closed: true }, next: current, effect: undefined };
    return { ok: { sessionId, closed: true }, next: { ...current, revokedAt: now }, effect: { revoke: now } };
  }
}
