// The inventory entity's wiring: decisions are made in memory one message at a time, and
// committed in batches (actors/common/group-commit.ts). Every reply waits for the commit of
// the batch its decision belongs to (acknowledged means durable). A failed commit means
// memory and store disagree: fail every answer still owed as retryable, stop, and let the
// next message reload from the store.
import {
  ClusterError, TimeoutError, UnavailableError, type EntityContext, type EntityDefinition, type Reply,
} from '../../cluster/index.ts';
import { RetryableWriteError, UnsafeValueError, type InventoryRepository } from '../../stores/mysql/inventory.ts';
import { FencedWriteError } from '../../stores/mysql/writes.ts';
import type { Fence } from '../../stores/mysql/epochs.ts';
import { StoreUnavailableError } from '../../stores/mysql/errors.ts';
import { decodeInventoryMsg, inventoryType, type InventoryMsg, type InventoryReply } from './messages.ts';
import {
  decide, forgetFinished, freeWarehouses, loadReservation, newModel, takeWrites, type Decision, type InventoryEvent, type InventoryModel, type WriteSet,
} from './state.ts';
import { GroupCommit, type Owed } from '../common/group-commit.ts';

export interface InventoryDeps {
  /**
   * The store, and the windows the model keeps to (its `dedupWindowMs`, `keepFinishedMs`):
   * what a load brings whole or as ids is what memory holds until the same cutoffs.
   */
  repo: InventoryRepository;
  /** Subject for an inventory event; the outbox relays it to the INVENTORY stream. */
  eventSubject: (event: InventoryEvent) => string;
  /** Told after a batch with events committed, so the relay need not wait for its poll. */
  onEventsCommitted?: () => void;
  idleTimeoutMs?: number;
  /** Transactions in flight per SKU (default 2). */
  commitDepth?: number;
  /** Clock, injectable so expiry can be tested without waiting. */
  now?: () => number;
}

/**
 * A decision's answer, given once its batch committed. A class rather than two arrow
 * functions per message: one object instead of three. Run through tsx (APP_FROM_SOURCE=1),
 * every such function is also named as it is made, which cost about a microsecond per
 * reservation in the flash sale's profile (the compiled app, app/build.ts, does not).
 */
class AnswerWhenDurable implements Owed {
  constructor(
    private readonly reply: Reply<InventoryReply>,
    private readonly decision: Decision,
    /** A `get`: it waits for the writes decided before it, but writes nothing itself. */
    readonly read: boolean,
  ) {}

  settle(): void {
    if ('ok' in this.decision) this.reply.ok(this.decision.ok);
    else this.reply.fail(this.decision.rejected);
  }

  fail(err: Error): void {
    this.reply.fail(err);
  }
}

/** The entity's state: the model and the group-commit pipeline around it. */
export class InventoryEntity {
  private readonly pipeline: GroupCommit<WriteSet>;
  private lastForget = 0;

  constructor(
    readonly model: InventoryModel,
    private readonly deps: InventoryDeps,
    private readonly ctx: EntityContext,
    /**
     * This activation's epoch: every batch is conditional on it as well as on the version.
     * None for a SKU the store did not have: such an entity only answers reads, and the
     * first message that may write activates the SKU again with a claim (`inventoryEntity`).
     */
    readonly fence: Fence | undefined,
  ) {
    this.pipeline = new GroupCommit<WriteSet>({
      name: 'inventory',
      depth: deps.commitDepth ?? 2,
      takeWrites: () => takeWrites(this.model, this.now()),
      write: (writes, afterPrevious) => this.write(writes, afterPrevious),
      onCommitted: (writes) => {
        if (writes.events.length > 0) this.deps.onEventsCommitted?.();
      },
      onFailure: (err, owed) => this.die(err, owed),
    });
  }

  receive(msg: InventoryMsg, reply: Reply<InventoryReply>): void {
    if (this.pipeline.dead) return reply.fail(new UnavailableError(`inventory ${this.model.sku} is reloading; retry`));
    const now = this.now();
    const decision = decide(this.model, msg, now);
    this.pipeline.add(new AnswerWhenDurable(reply, decision, msg.op === 'get'));
    if (now - this.lastForget > 60_000) {
      this.lastForget = now;
      const { keepFinishedMs, dedupWindowMs } = this.deps.repo;
      forgetFinished(this.model, now - keepFinishedMs, now - dedupWindowMs);
    }
  }

  /**
   * Whether `msg` names a finished reservation this model may no longer hold, whose row
   * must be read back first (`recall`). Finished reservations are held whole for the keep
   * window only, while a refund or a return may restore units committed days before; and
   * a `reserve` resent within the dedup window must get its first answer, not new units,
   * which the forgotten ids' filters tell apart from a new id (but for a few in a million).
   */
  needsRecall(msg: InventoryMsg): msg is InventoryMsg & { reservationId: string } {
    // The filters first: with none yet (a SKU's first ten minutes of sales), nothing else is looked up.
    if (msg.op === 'reserve') return this.model.forgotten.mightHold(msg.reservationId) && !this.model.reservations.has(msg.reservationId);
    return (msg.op === 'restore' || msg.op === 'commit' || msg.op === 'release') && !this.model.reservations.has(msg.reservationId);
  }

  /** Brings a finished reservation back from the store, if it exists (see `needsRecall`). */
  async recall(reservationId: string): Promise<void> {
    const r = await this.deps.repo.findReservation(this.model.sku, reservationId);
    // Only this entity writes its reservations, so the row cannot have moved meanwhile; an
    // active one would have been loaded, so a row found here is a finished one.
    if (!r || this.model.reservations.has(reservationId) || r.status === 'active') return;
    const { updatedAt: _, ...rest } = r;
    loadReservation(this.model, { ...rest, finishedAt: this.now() });
  }

  /** Resolves when everything decided so far is committed and answered. */
  settled(): Promise<void> {
    return this.pipeline.idle();
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private async write(writes: WriteSet, afterPrevious: Promise<void>): Promise<void> {
    // Unclaimed, yet something to write: what was loaded changed after the claim found no
    // SKU (a repair of rows made meanwhile). Fenced: the activation after this one claims.
    if (!this.fence) throw new FencedWriteError(`inventory ${this.model.sku}: no claim to write with`);
    const batch = { ...writes, fence: this.fence, events: writes.events.map((e) => ({ subject: this.deps.eventSubject(e), payload: e })) };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.repo.commit(batch);
      } catch (err) {
        // With several transactions in flight the later one can reach the SKU row first and
        // find the version its predecessor has not written yet, or the two can deadlock on a
        // row both touch. Both roll back whole: wait for the predecessor and try again. A
        // fence that persists once the predecessor is done, or a failed predecessor, is real.
        const transient = err instanceof RetryableWriteError || (err instanceof FencedWriteError && attempt === 1);
        if (!transient || attempt >= 5) throw err;
        await afterPrevious;
      }
    }
  }

  private die(err: unknown, owed: Owed[]): void {
    this.ctx.log.warn({ err: String(err), sku: this.model.sku }, 'inventory write failed; reloading');
    const failure = commitFailure(this.model.sku, err);
    // A read has no outcome to be unknown: what it would have shown was not confirmed, and
    // asking again is safe, so it is not told (nor does its caller say) that a write's is.
    const readFailure = failure instanceof TimeoutError
      ? new UnavailableError(`inventory ${this.model.sku}: the stock could not be confirmed; retry`, { cause: err })
      : failure;
    for (const o of owed) o.fail(o instanceof AnswerWhenDurable && o.read ? readFailure : failure);
    this.ctx.stop();
  }
}

/**
 * What callers are told when a batch did not commit. Fenced or rolled back by the
 * database: not applied, retry. Refused by the database for another reason: not applied,
 * but the same write would fail again. No answer from the database (connection lost during
 * COMMIT): it may have been applied, so only idempotent messages may be resent.
 */
function commitFailure(sku: string, err: unknown): ClusterError {
  if (err instanceof FencedWriteError) return new UnavailableError(`inventory ${sku} changed underneath; retry`, { cause: err });
  if (err instanceof RetryableWriteError) return new UnavailableError(`inventory ${sku} could not commit; retry`, { cause: err });
  if (err instanceof StoreUnavailableError) return new UnavailableError(`inventory ${sku}: the database is not reachable; retry`, { cause: err });
  if (err instanceof UnsafeValueError) return new ClusterError('internal', `inventory ${sku}: ${err.message}`, { retryable: false, cause: err });
  if (typeof (err as { sqlState?: unknown }).sqlState === 'string') {
    return new ClusterError('internal', `inventory ${sku}: the store refused the write`, { retryable: false, cause: err });
  }
  return new TimeoutError(`inventory ${sku}: the outcome of the write is unknown`, { cause: err });
}

/**
 * Claims the SKU's next epoch, then builds a model from what the store holds. The claim
 * comes first: every batch of an earlier activation either committed before it (and is
 * in what is loaded) or fails its fence. Unless `mustClaim`, a SKU without stock rows is
 * not claimed: reading a made-up SKU writes nothing.
 */
async function activate(sku: string, deps: InventoryDeps, ctx: EntityContext, mustClaim: boolean): Promise<InventoryEntity> {
  const fence = mustClaim ? await deps.repo.claim(sku) : await deps.repo.claimIfExists(sku);
  const stored = await deps.repo.load(sku);
  const model = newModel(sku, deps.repo.dedupWindowMs);
  model.version = stored.version;
  model.stored = stored.exists;
  model.onHand = stored.onHand;
  model.reserved = stored.reserved;
  for (const s of stored.stock) model.stock.set(s.warehouseId, { onHand: s.onHand, reserved: s.reserved });
  for (const r of stored.reservations) {
    const { updatedAt, ...rest } = r;
    loadReservation(model, r.status === 'active' ? rest : { ...rest, finishedAt: updatedAt });
  }
  for (const f of stored.finished) model.forgotten.add(f.id, f.finishedAt);
  const now = deps.now ? deps.now() : Date.now();
  for (const c of stored.commands) model.commands.set(c, now);
  reconcile(model, stored.onHand, stored.reserved, ctx);
  model.availableAtLastWrite = model.onHand - model.reserved;
  model.availableAtLastLevel = model.availableAtLastWrite;
  model.freeWarehousesAtLastWrite = freeWarehouses(model);
  return new InventoryEntity(model, deps, ctx, fence);
}

/**
 * The counters are derived data: each warehouse's `reserved` must be the sum of its
 * active reservations, and the SKU's totals the sums over its warehouses. Trust the rows,
 * not the counters; a repair is logged and written with the next batch.
 */
function reconcile(model: InventoryModel, storedOnHand: number, storedReserved: number, ctx: EntityContext): void {
  const held = new Map<string, number>();
  for (const r of model.reservations.values()) {
    if (r.status === 'active') held.set(r.warehouseId, (held.get(r.warehouseId) ?? 0) + r.qty);
  }
  for (const w of held.keys()) if (!model.stock.has(w)) model.stock.set(w, { onHand: 0, reserved: 0 });
  let onHand = 0;
  let reserved = 0;
  for (const [w, s] of model.stock) {
    const expected = held.get(w) ?? 0;
    if (s.reserved !== expected) {
      ctx.log.warn({ sku: model.sku, warehouseId: w, counter: s.reserved, reservations: expected }, 'inventory counter disagreed with its reservations; repaired');
      s.reserved = expected;
      model.dirtyStock.add(w);
    }
    onHand += s.onHand;
    reserved += s.reserved;
  }
  if (model.stored && (onHand !== storedOnHand || reserved !== storedReserved)) {
    ctx.log.warn({ sku: model.sku, onHand: storedOnHand, reserved: storedReserved, fromRows: { onHand, reserved } }, 'inventory totals disagreed with the stock rows; repaired');
    for (const w of model.stock.keys()) model.dirtyStock.add(w);
  }
  model.onHand = onHand;
  model.reserved = reserved;
}

/** The `inventory` entity type, registered on actor nodes. */
export function inventoryEntity(deps: InventoryDeps): EntityDefinition<InventoryEntity, InventoryMsg, InventoryReply> {
  return {
    type: inventoryType,
    ...(deps.idleTimeoutMs ? { idleTimeoutMs: deps.idleTimeoutMs } : {}),
    decode: decodeInventoryMsg,
    activate: (sku, ctx) => activate(sku, deps, ctx, false),
    receive(entity, msg, reply, ctx) {
      if (!entity.fence && msg.op !== 'get') {
        // A SKU read before it had stock: whatever may write comes after a claim and a load
        // of what the store holds by then (stock set meanwhile by an earlier owner).
        return entity.settled().then(() => activate(entity.model.sku, deps, ctx, true)).then((claimed) => {
          deliver(claimed, msg, reply);
          return claimed;
        }, (err: unknown) => {
          reply.fail(new UnavailableError(`inventory ${entity.model.sku} could not be loaded; retry`, { cause: err }));
          ctx.stop();
          return entity;
        });
      }
      return deliver(entity, msg, reply);
    },
    deactivate: (entity) => entity.settled(),
  };
}

/** `msg` to the entity, after reading back the finished reservation it names if needed. */
function deliver(entity: InventoryEntity, msg: InventoryMsg, reply: Reply<InventoryReply>): InventoryEntity | Promise<InventoryEntity> {
  if (!entity.needsRecall(msg)) {
    entity.receive(msg, reply);
    return entity;
  }
  // Rare (an old reservation): the mailbox waits for one read, so the order of messages holds.
  return entity.recall(msg.reservationId).then(() => {
    entity.receive(msg, reply);
    return entity;
  }, (err: unknown) => {
    reply.fail(new UnavailableError(`inventory ${entity.model.sku}: reservation ${msg.reservationId} could not be read; retry`, { cause: err }));
    return entity;
  });
}
