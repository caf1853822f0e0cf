// The session entity's protocol: what can be asked of `session:<sessionId>` and the checks
// every message passes before it reaches the decision logic.
import { InvalidError } from '../../cluster/index.ts';

export const sessionType = 'session';

const hashPattern = /^[0-9a-f]{64}$/;
const userIdPattern = /^[A-Za-z0-9_-]{1,40}$/;

/** Creates the session (signup, login). Retrying with the same token hash returns the same session. */
export interface OpenMsg { op: 'open'; tokenHash: string; userId: string; device: string; ttlMs: number }
/** Is this token's session live? Answers the user, or rejects `invalid_session`. */
export interface CheckMsg { op: 'check'; tokenHash: string }
/** Logout: the session ends at once; every later check is refused. */
export interface CloseMsg { op: 'close'; tokenHash: string }
/**
 * Ends the session as a logout does, asked by its user without its token (the session list,
 * a password change). Another user's session, or none, rejects `not_found`.
 */
export interface RevokeMsg { op: 'revoke'; userId: string }

export type SessionMsg = OpenMsg | CheckMsg | CloseMsg | RevokeMsg;

export interface SessionView {
  sessionId: string;
  userId: string;
  expiresAt: number;
}
export interface Closed { sessionId: string; closed: true }
export type SessionReply = SessionView | Closed;

function str(m: Record<string, unknown>, name: string, pattern: RegExp): string {
  const v = m[name];
  if (typeof v !== 'string' || !pattern.test(v)) throw new InvalidError(`${name} is missing or malformed`);
  return v;
}

export function decodeSessionMsg(raw: unknown): SessionMsg {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidError('message must be an object');
  const m = raw as Record<string, unknown>;
  switch (m.op) {
    case 'open': {
      const ttlMs = m.ttlMs;
      if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > 366 * 86_400_000) throw new InvalidError('ttlMs must be 1 s to 366 days');
      const device = typeof m.device === 'string' ? m.device.slice(0, 200) : '';
      return { op: 'open', tokenHash: str(m, 'tokenHash', hashPattern), userId: str(m, 'userId', userIdPattern), device, ttlMs };
    }
    case 'check':
    case 'close':
      return { op: m.op, tokenHash: str(m, 'tokenHash', hashPattern) };
    case 'revoke':
      return { op: 'revoke', userId: str(m, 'userId', userIdPattern) };
    default:
      throw new InvalidError('op must be one of open, check, close, revoke');
  }
}
