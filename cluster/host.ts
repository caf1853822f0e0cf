// Runs the entities a node owns: one nact actor per (type, id), spawned on its first
// message, passivated when idle, its mailbox bounded. nact drops a dispatch to a stopped
// actor silently and rejects a query with a plain Error; this is the one place that turns
// both into typed errors, counts them, and re-delivers to a fresh actor.
import nact from 'nact';
import type { Logger } from 'pino';
import type { AnyEntityDefinition, EntityContext, Reply } from './entity.ts';
import { ClusterError, InvalidError, OverloadedError, TimeoutError, UnavailableError, toWireError } from './errors.ts';
import type { WireOutcome } from './wire.ts';
import { uniqueQueryReplies } from './unique-query-replies.ts';
import { orAfter } from './or-after.ts';
import type { Plugin } from 'nact';

const { start, spawn, stop, query, dispatch } = nact;
type ActorRef = ReturnType<typeof spawn>;
type SystemRef = ReturnType<typeof start>;

/** One nact message: a coalesced batch and where to send its outcomes. */
interface Batch {
  raws: unknown[];
  deadline: number;
  replyTo: ActorRef;
}

/** A batch's answer names its batch, so a reply that reaches another delivery is refused there. */
interface BatchAnswer {
  batch: Batch;
  outcomes: WireOutcome[];
}

function answer(batch: Batch, outcomes: WireOutcome[]): void {
  dispatch(batch.replyTo, { batch, outcomes } satisfies BatchAnswer);
}

/** Actor state: whether the entity's own state has been loaded yet, and that state. */
interface Holder {
  loaded: boolean;
  state: unknown;
}

interface Cell {
  readonly key: string;
  readonly type: string;
  readonly id: string;
  readonly shard: number;
  readonly def: AnyEntityDefinition;
  readonly ctx: EntityContext;
  ref: ActorRef;
  /** Items dispatched and not yet taken by the behaviour: the mailbox depth. */
  queued: number;
  /**
   * Batches handed to nact and not yet started. nact takes a message off its mailbox one
   * turn before running it, and a stop in between cancels that turn: such a batch is in
   * neither the mailbox nor the behaviour, so it is tracked here to be failed, not lost.
   */
  pending: Set<Batch>;
  /** True while the behaviour runs a batch. */
  running: boolean;
  /** Set once stop is asked for or happened; deliveries then wait for `gone`. */
  stopping: boolean;
  stopAfterBatch: boolean;
  /** Resolves after the actor stopped and its deactivate finished. */
  gone: Promise<void>;
  markGone: () => void;
  /** Resolves when the current batch, if any, is finished. */
  idle: Promise<void>;
  markIdle: () => void;
}

export interface HostOptions {
  log: Logger;
  /** Plugins for nact's actor system (default: the numbered reply addresses; a test starts without them). */
  plugins?: Plugin[];
  /** Items an actor's mailbox may hold before new work is refused as overloaded. */
  mailboxLimit: number;
  idleTimeoutMs: number;
  /** False once this node may no longer serve the shard (its lease lapsed): queued batches then fail unapplied. */
  isServing?: (shard: number) => boolean;
}

export interface HostStats {
  actors: number;
  mailboxDepth: number;
  dropped: number;
  activations: number;
  passivations: number;
  /** Answers that reached a delivery they were not for, and were refused (0 unless nact's reply addressing breaks). */
  crossedReplies: number;
}

const stoppedActorMessage = 'Actor stopped or never existed';

/** nact names allow fewer characters than entity ids; '$' is not in ids, so this is unambiguous. */
function actorName(type: string, id: string): string {
  return `${type}.${id.replace(/[^a-z0-9_.+-]/gi, (c) => `$${c.charCodeAt(0).toString(16)}`)}`;
}

/** Settles one message's outcome into the batch's outcome array. */
class ItemReply implements Reply<unknown> {
  settled = false;
  constructor(
    private readonly outcomes: WireOutcome[],
    private readonly index: number,
    private readonly done: () => void,
  ) {}
  ok(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.outcomes[this.index] = { v: value };
    this.done();
  }
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.outcomes[this.index] = { e: toWireError(error) };
    this.done();
  }
}

function failAll(batch: Batch, error: ClusterError): void {
  answer(batch, batch.raws.map(() => ({ e: error.toWire() })));
}

export class EntityHost {
  private readonly system: SystemRef;
  private readonly defs = new Map<string, AnyEntityDefinition>();
  private readonly cells = new Map<string, Cell>();
  private readonly outstanding = new Map<number, Set<Promise<unknown>>>();
  /** Shards this node no longer serves: late deliveries fail instead of spawning actors. */
  private readonly closed = new Set<number>();
  private counters = { dropped: 0, activations: 0, passivations: 0, crossedReplies: 0 };

  constructor(private readonly opts: HostOptions) {
    // Numbered reply addresses: nact's random ones could hand one caller another's answer.
    this.system = start(...(opts.plugins ?? [uniqueQueryReplies]));
  }

  register(def: AnyEntityDefinition): void {
    if (this.defs.has(def.type)) throw new Error(`entity type "${def.type}" is registered twice`);
    this.defs.set(def.type, def);
  }

  has(type: string): boolean {
    return this.defs.has(type);
  }

  /**
   * Hands a batch of raw messages to the entity's actor and resolves with one outcome per
   * message. Never rejects: failures come back as outcomes or as a typed ClusterError.
   */
  deliver(type: string, id: string, shard: number, raws: unknown[], deadline: number): Promise<WireOutcome[]> {
    const work = this.deliverNow(type, id, shard, raws, deadline);
    let set = this.outstanding.get(shard);
    if (!set) this.outstanding.set(shard, (set = new Set()));
    set.add(work);
    const forget = () => set.delete(work);
    work.then(forget, forget);
    return work;
  }

  private deliverNow(type: string, id: string, shard: number, raws: unknown[], deadline: number): Promise<WireOutcome[]> {
    const def = this.defs.get(type);
    if (!def) return Promise.reject(new InvalidError(`unknown entity type "${type}"`));
    if (this.closed.has(shard)) return Promise.reject(new UnavailableError(`shard ${shard} moved; retry`));
    const key = `${type}\u0000${id}`;
    const cell = this.cells.get(key);
    if (cell?.stopping) {
      // The old actor is flushing; wait for it so the new one loads what it wrote.
      return cell.gone.then(() => this.deliverNow(type, id, shard, raws, deadline));
    }
    const live = cell ?? this.spawnCell(def, key, type, id, shard);
    if (live.queued + raws.length > this.opts.mailboxLimit) {
      return Promise.reject(new OverloadedError(`mailbox of ${type}:${id} is full`, { data: { depth: live.queued } }));
    }
    live.queued += raws.length;
    const timeout = Math.max(1, deadline - Date.now()) + 1000;
    let sent: Batch | undefined;
    const asked = query(live.ref, (replyTo: ActorRef): Batch => {
      sent = { raws, deadline, replyTo };
      live.pending.add(sent);
      return sent;
    }, timeout) as Promise<BatchAnswer>;
    return asked.then((a) => {
      if (a.batch === sent) return a.outcomes;
      // Another delivery's answer (their reply addresses collided): never pass it on. This
      // batch may still run, so its outcome is unknown: a timeout, resent only if idempotent.
      this.counters.crossedReplies++;
      this.opts.log.error({ entity: `${type}:${id}` }, 'an answer meant for another delivery reached this one; refused');
      throw new TimeoutError(`${type}:${id}: the answer that came back was for another delivery`);
    }, (err: unknown) => {
      if (err instanceof Error && err.message.startsWith(stoppedActorMessage)) {
        // nact stopped it (idle) between our lookup and the dispatch: the batch never
        // reached a mailbox, so it is safe to deliver it again to a fresh actor.
        this.counters.dropped++;
        live.queued -= raws.length;
        if (sent) live.pending.delete(sent);
        this.markStopping(live);
        return this.deliverNow(type, id, shard, raws, deadline);
      }
      if (err instanceof Error && err.message === 'Query Timeout') {
        throw new TimeoutError(`${type}:${id} did not answer before the deadline`);
      }
      throw err;
    });
  }

  private spawnCell(def: AnyEntityDefinition, key: string, type: string, id: string, shard: number): Cell {
    let markGone!: () => void;
    const gone = new Promise<void>((resolve) => (markGone = resolve));
    const parent = this.opts.log;
    let log: Logger | undefined;
    const cell: Cell = {
      key, type, id, shard, def,
      ctx: {
        type, id,
        // Made when first used (a warning, an error): a pino child per entity, its bound
        // level functions and bindings, was a tenth of a node's live heap in a flash sale,
        // where every checkout attempt is an entity.
        get log() {
          return (log ??= parent.child({ entity: type, id }));
        },
        stop: () => this.requestStop(cell),
      },
      ref: undefined as unknown as ActorRef, // assigned right below, once the behaviour can close over the cell
      queued: 0,
      pending: new Set(),
      running: false,
      stopping: false,
      stopAfterBatch: false,
      gone,
      markGone,
      idle: Promise.resolve(),
      markIdle: () => {},
    };
    const behaviour = (holder: Holder, batch: Batch) => this.runBatch(cell, holder, batch);
    cell.ref = spawn(this.system, behaviour, actorName(type, id), {
      initialState: { loaded: false, state: undefined } satisfies Holder,
      shutdownAfter: def.idleTimeoutMs ?? this.opts.idleTimeoutMs,
      onCrash: (msg: Batch | undefined, err: Error | undefined, ctx) => {
        // Only a bug in this file reaches here: behaviours' throws are caught per message.
        cell.ctx.log.error({ err }, 'entity actor crashed');
        if (msg) failAll(msg, new UnavailableError('entity crashed; retry', { cause: err }));
        return ctx.stop;
      },
      afterStop: (holder: Holder) => this.afterStop(cell, holder),
    });
    this.cells.set(key, cell);
    return cell;
  }

  private async runBatch(cell: Cell, holder: Holder, batch: Batch): Promise<Holder> {
    cell.queued -= batch.raws.length;
    cell.pending.delete(batch);
    cell.running = true;
    cell.idle = new Promise<void>((resolve) => (cell.markIdle = resolve));
    const outcomes: WireOutcome[] = new Array(batch.raws.length);
    let pending = batch.raws.length;
    const done = () => {
      if (--pending === 0) answer(batch, outcomes);
    };
    try {
      if (this.opts.isServing && !this.opts.isServing(cell.shard)) {
        // Only this node had the batch (it arrived while the lease was valid), so a retry
        // reaches the new owner and nothing runs twice.
        failAll(batch, new UnavailableError(`shard ${cell.shard} is no longer served here; retry`));
        cell.stopAfterBatch = true;
        return holder;
      }
      if (!holder.loaded) {
        try {
          holder.state = await cell.def.activate(cell.id, cell.ctx);
          holder.loaded = true;
          this.counters.activations++;
        } catch (err) {
          cell.ctx.log.warn({ err }, 'activation failed');
          failAll(batch, new UnavailableError(`could not load ${cell.type}:${cell.id}`, { cause: err }));
          this.requestStop(cell);
          return holder;
        }
      }
      for (let i = 0; i < batch.raws.length; i++) {
        const reply = new ItemReply(outcomes, i, done);
        if (cell.stopAfterBatch) {
          reply.fail(new UnavailableError(`${cell.type}:${cell.id} is restarting; retry`));
          continue;
        }
        if (Date.now() > batch.deadline) {
          reply.fail(new TimeoutError('deadline passed before the entity took the message'));
          continue;
        }
        let msg: unknown;
        try {
          msg = cell.def.decode(batch.raws[i]);
        } catch (err) {
          reply.fail(err instanceof ClusterError ? err : new InvalidError(String(err)));
          continue;
        }
        try {
          const next = cell.def.receive(holder.state, msg, reply, cell.ctx);
          holder.state = next instanceof Promise ? await next : next;
        } catch (err) {
          // The behaviour threw part-way: its state may be half-changed, so reload it.
          cell.ctx.log.error({ err }, 'entity behaviour threw');
          reply.fail(err);
          cell.stopAfterBatch = true;
        }
      }
      return holder;
    } finally {
      cell.running = false;
      cell.markIdle();
      if (cell.stopAfterBatch) this.stopNow(cell);
    }
  }

  private requestStop(cell: Cell): void {
    if (cell.stopping) return;
    if (cell.running) {
      cell.stopAfterBatch = true;
      this.markStopping(cell);
    } else {
      this.stopNow(cell);
    }
  }

  private markStopping(cell: Cell): void {
    cell.stopping = true;
  }

  private stopNow(cell: Cell): void {
    cell.stopping = true;
    stop(cell.ref);
  }

  private async afterStop(cell: Cell, holder: Holder): Promise<void> {
    // Whatever was handed over and never started (queued, or taken for a turn the stop
    // cancelled) did not run: fail it as retryable so callers try the fresh actor.
    for (const batch of cell.pending) failAll(batch, new UnavailableError(`${cell.type}:${cell.id} stopped; retry`));
    cell.pending.clear();
    cell.stopping = true;
    await cell.idle;
    try {
      if (holder.loaded && cell.def.deactivate) await cell.def.deactivate(holder.state, cell.ctx);
    } catch (err) {
      cell.ctx.log.error({ err }, 'deactivate failed');
    } finally {
      this.counters.passivations++;
      if (this.cells.get(cell.key) === cell) this.cells.delete(cell.key);
      cell.markGone();
    }
  }

  /**
   * Lets deliveries already accepted for the shard finish for up to `graceMs`, then stops
   * its actors (each finishes the batch it is running; what is still queued fails as
   * retryable, never started) and waits for their deactivate, for at most `stopWaitMs`.
   * Call after the shard stopped taking new messages.
   *
   * Both bounds matter for a hand-off: nobody answers the shard until this returns. A
   * flash-sale mailbox hundreds deep outlasted callers' deadlines, and an actor whose
   * running batch asks an entity of the same shard (a checkout paying, committing stock of
   * a SKU on its own shard) waited out its 10 s ask for an answer nobody could give. What
   * still runs after `stopWaitMs` finishes on its own; the new owner's epoch claim fences
   * any write it makes, as after a crash. `close()` waits for everything.
   */
  async drainShard(shard: number, opts: { graceMs?: number; stopWaitMs?: number } = {}): Promise<void> {
    const set = this.outstanding.get(shard);
    if (set && set.size > 0) await orAfter(Promise.allSettled([...set]), opts.graceMs ?? 500, undefined);
    const stopped = this.stopShard(shard);
    await (opts.stopWaitMs === undefined ? stopped : orAfter(stopped, opts.stopWaitMs, undefined));
  }

  /** Serving the shard (again): deliveries to it spawn actors. */
  openShard(shard: number): void {
    this.closed.delete(shard);
  }

  /** Stops the shard's actors now (lease lost): queued messages fail as retryable. */
  async stopShard(shard: number): Promise<void> {
    this.closed.add(shard);
    const cells = [...this.cells.values()].filter((c) => c.shard === shard);
    for (const cell of cells) this.requestStop(cell);
    await Promise.all(cells.map((c) => c.gone));
  }

  stats(): HostStats {
    let mailboxDepth = 0;
    for (const cell of this.cells.values()) mailboxDepth += cell.queued;
    return { actors: this.cells.size, mailboxDepth, ...this.counters };
  }

  /** Actors per type, for the admin view. */
  actorsByType(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const cell of this.cells.values()) out[cell.type] = (out[cell.type] ?? 0) + 1;
    return out;
  }

  async close(): Promise<void> {
    const shards = new Set([...this.cells.values()].map((c) => c.shard));
    await Promise.all([...shards].map((s) => this.drainShard(s)));
    stop(this.system);
  }
}

