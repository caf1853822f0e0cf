// What an entity type is: a name, a nact behaviour over its state, and how it loads and
// flushes that state. Registered with a node, addressed with ask/tell from anywhere.
import type { Logger } from 'pino';

/** The reply address of one message. Settles once; later calls are ignored. */
export interface Reply<R> {
  ok(value: R): void;
  fail(error: unknown): void;
  readonly settled: boolean;
}

export interface EntityContext {
  readonly type: string;
  readonly id: string;
  readonly log: Logger;
  /**
   * Stops this actor as soon as its current message is done; messages still in its mailbox
   * fail with a retryable `unavailable`, and the next message activates it afresh from the
   * store. Used when the state can no longer be trusted (for example after a fenced write).
   */
  stop(): void;
}

/**
 * An entity type. `receive` is the actor's behaviour: it runs one message at a time, in
 * arrival order, even when it awaits. It may answer later than it returns (for example
 * after a group commit) by keeping `reply`.
 *
 * @example
 * const counter: EntityDefinition<number, { add: number }, number> = {
 *   type: 'counter',
 *   decode: (raw) => parseAdd(raw),
 *   activate: async (id) => loadCount(id),
 *   receive: (n, msg, reply) => { reply.ok(n + msg.add); return n + msg.add; },
 * };
 */
export interface EntityDefinition<State, Msg, Res> {
  readonly type: string;
  /** Passivate after this long without a message (default: the node's idle timeout). */
  readonly idleTimeoutMs?: number;
  /** Checks a message from the wire; throws InvalidError naming what is wrong. */
  decode(raw: unknown): Msg;
  /** Loads the state on the first message after a spawn. A throw fails that batch as unavailable. */
  activate(id: string, ctx: EntityContext): State | Promise<State>;
  receive(state: State, msg: Msg, reply: Reply<Res>, ctx: EntityContext): State | Promise<State>;
  /** Finishes pending work (writes in flight, replies owed) before the actor goes away. */
  deactivate?(state: State, ctx: EntityContext): Promise<void>;
}

// The definitions are stored together, so their type parameters are erased at registration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- erased on purpose, see above
export type AnyEntityDefinition = EntityDefinition<any, any, any>;
