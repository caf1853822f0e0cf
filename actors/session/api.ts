// Typed calls to `session:<sessionId>` for the gateway and the users service.
import type { AskOptions, ClusterClient } from '../../cluster/index.ts';
import { sessionType, type Closed, type SessionView } from './messages.ts';
import { sessionIdOf } from './token.ts';

export class SessionApi {
  constructor(private readonly client: ClusterClient) {}

  /** Opens a session for a freshly issued token; safe to retry (same token, same answer). */
  open(tokenHash: string, userId: string, device: string, ttlMs: number, opts: AskOptions = {}): Promise<SessionView> {
    return this.client.ask(sessionType, sessionIdOf(tokenHash), { op: 'open', tokenHash, userId, device, ttlMs }, { idempotent: true, ...opts });
  }

  /** Resolves the session's user; rejects RejectedError `invalid_session`. */
  check(tokenHash: string, opts: AskOptions = {}): Promise<SessionView> {
    return this.client.ask(sessionType, sessionIdOf(tokenHash), { op: 'check', tokenHash }, { idempotent: true, ...opts });
  }

  close(tokenHash: string, opts: AskOptions = {}): Promise<Closed> {
    return this.client.ask(sessionType, sessionIdOf(tokenHash), { op: 'close', tokenHash }, { idempotent: true, ...opts });
  }

  /**
   * Ends `userId`'s session `sessionId` as a logout does (announced to every gateway before
   * it is answered); rejects RejectedError `not_found` for another user's or an unknown one.
   */
  revoke(sessionId: string, userId: string, opts: AskOptions = {}): Promise<Closed> {
    return this.client.ask(sessionType, sessionId, { op: 'revoke', userId }, { idempotent: true, ...opts });
  }
}
