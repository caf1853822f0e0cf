// The session entity's wiring: the record is loaded on activation, opens and logouts are
// written before the reply (acknowledged means durable), and last-seen, which nobody
// waits for, is written at most once a minute and on passivation.
import { TimeoutError, UnavailableError, type EntityDefinition } from '../../cluster/index.ts';
import type { Fence } from '../../stores/mysql/epochs.ts';
import { StoreOutcomeUnknownError } from '../../stores/mysql/errors.ts';
import type { SessionRecord, SessionRepository } from '../../stores/mysql/sessions.ts';
import { decodeSessionMsg, sessionType, type SessionMsg, type SessionReply } from './messages.ts';
import { decideSession } from './state.ts';

export interface SessionDeps {
  repo: SessionRepository;
  idleTimeoutMs?: number;
  /**
   * Told after a logout is durable and before it is answered (also for a repeated logout,
   * in case the first announcement was lost with its node): gateways drop the session.
   */
  /** Announces a logout; resolves once the announcement left for the server (rejects if it could not). */
  onClosed?(sessionId: string): void | Promise<void>;
}

interface SessionState {
  /**
   * This activation's epoch; every write is conditional on it. None while the store has no
   * such session: a made-up token's activation writes nothing, and an open claims first.
   */
  fence: Fence | undefined;
  record: SessionRecord | undefined;
  seenWritten: number;
}

const touchEveryMs = 60_000;

export function sessionEntity(deps: SessionDeps): EntityDefinition<SessionState, SessionMsg, SessionReply> {
  return {
    type: sessionType,
    ...(deps.idleTimeoutMs ? { idleTimeoutMs: deps.idleTimeoutMs } : {}),
    decode: decodeSessionMsg,
    async activate(id) {
      const { fence, record } = await deps.repo.claimAndLoad(id, true);
      return { fence, record, seenWritten: record?.lastSeenAt ?? 0 };
    },
    async receive(state, msg, reply, ctx) {
      if (!state.fence && msg.op === 'open') {
        // Only an open writes to a session the store did not have; it claims and reads
        // again first, so it acts on what any other activation may have written since.
        try {
          const { fence, record } = await deps.repo.claimAndLoad(ctx.id);
          state = { fence, record, seenWritten: record?.lastSeenAt ?? 0 };
        } catch (err) {
          reply.fail(new UnavailableError('the session store did not answer; retry', { cause: err }));
          ctx.stop();
          return state;
        }
      }
      const now = Date.now();
      const d = decideSession(ctx.id, state.record, msg, now);
      if ('rejected' in d) {
        reply.fail(d.rejected);
        return state;
      }
      const { fence } = state;
      try {
        // A write comes only from an open (which claimed above) or from a session the store
        // holds (claimed on activation): never without a fence.
        if (d.effect) {
          if (!fence) throw new Error(`session ${ctx.id}: a write without a claim`);
          if ('insert' in d.effect) await deps.repo.insert(fence, d.effect.insert);
          else await deps.repo.revoke(fence, ctx.id, d.effect.revoke);
        }
      } catch (err) {
        // Not acknowledged; the store decides on the next activation. An unknown outcome
        // says so (a timeout), so the caller does not take it for "not done".
        reply.fail(err instanceof StoreOutcomeUnknownError ? err : new UnavailableError('the session store did not take the write; retry', { cause: err }));
        ctx.stop();
        return state;
      }
      if (msg.op === 'close' || msg.op === 'revoke') {
        // The announcement must be on its way before the answer: an answer delivered in this
        // process (ROLE=all) does not pass NATS, so it could overtake an unflushed publish.
        try {
          await deps.onClosed?.(ctx.id);
        } catch (err) {
          // Stored, so the session is closed here too; a retry finds it closed, announces it
          // again and, confirmed this time, answers 204.
          reply.fail(new TimeoutError('the logout is stored, but its announcement to the gateways was not confirmed', { cause: err }));
          return { fence, record: d.next, seenWritten: state.seenWritten };
        }
      }
      reply.ok(d.ok);
      const next: SessionState = { fence, record: d.next, seenWritten: state.seenWritten };
      if (fence && next.record && now - next.seenWritten > touchEveryMs) {
        next.seenWritten = now;
        void deps.repo.touch(fence, ctx.id, now).catch((err: unknown) => ctx.log.warn({ err }, 'could not record session last-seen'));
      }
      return next;
    },
    async deactivate(state, ctx) {
      if (state.fence && state.record && state.record.lastSeenAt > state.seenWritten) {
        await deps.repo.touch(state.fence, ctx.id, state.record.lastSeenAt).catch((err: unknown) => ctx.log.warn({ err }, 'could not record session last-seen'));
      }
    },
  };
}
