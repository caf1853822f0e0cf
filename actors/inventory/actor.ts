// The inventory entity's wiring: decisions are made in memory one message at a time, and
// committed in batches. While one transaction is in flight the next batch gathers; every
// reply waits for the commit of the batch its decision belongs to (acknowledged means
// durable). A failed commit means memory and store disagree: fail the batch and the one
// gathering behind it as retryable, stop, and let the next message reload from the store.
import {
  UnavailableError, type EntityContext, type EntityDefinition, type Reply,
} from '../../cluster/index.ts';
import { FencedError, type InventoryRepository } from '../../stores/mysql/inventory.ts';
import { decodeInventoryMsg, inventoryType, type InventoryMsg, type InventoryReply } from './messages.ts';
import {
  decide, forgetFinished, loadReservation, newModel, takeWrites, type InventoryEvent, type InventoryModel, type WriteSet,
} from './state.ts';

export interface InventoryDeps {
  repo: InventoryRepository;
  /** Subject for an inventory event; the outbox relays it to the INVENTORY stream. */
  eventSubject: (event: InventoryEvent) => string;
  /** Told after a batch with events committed, so the relay need not wait for its poll. */
  onEventsCommitted?: () => void;
  dedupWindowMs: number;
  idleTimeoutMs?: number;
  /** Clock, injectable so expiry can be tested without waiting. */
  now?: () => number;
}

/** A reply owed once a batch commits. */
type Owed = { reply: Reply<InventoryReply>; value?: InventoryReply; error?: Error };

interface Batch {
  owed: Owed[];
}

/** The entity's state: the model and the group-commit pipeline around it. */
export class InventoryEntity {
  private gathering: Batch = { owed: [] };
  private inFlight: Promise<void> | undefined;
  private dead = false;
  private lastForget = 0;

  constructor(readonly model: InventoryModel, private readonly deps: InventoryDeps, private readonly ctx: EntityContext) {}

  receive(msg: InventoryMsg, reply: Reply<InventoryReply>): void {
    if (this.dead) return reply.fail(new UnavailableError(`inventory ${this.model.sku} is reloading; retry`));
    const now = this.now();
    const decision = decide(this.model, msg, now);
    this.gathering.owed.push('ok' in decision ? { reply, value: decision.ok } : { reply, error: decision.rejected });
    if (now - this.lastForget > 60_000) {
      this.lastForget = now;
      forgetFinished(this.model, now - this.deps.dedupWindowMs);
    }
    if (!this.inFlight) this.flush();
  }

  /** Resolves when everything decided so far is committed and answered. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** Starts committing what has gathered; called when nothing is in flight. */
  private flush(): void {
    const batch = this.gathering;
    this.gathering = { owed: [] };
    const writes = takeWrites(this.model, this.now());
    // Nothing to write, and nothing in flight: everything these answers saw is committed.
    if (!writes) return settle(batch);
    this.inFlight = this.commit(writes).then(
      () => {
        settle(batch);
        if (writes.events.length > 0) this.deps.onEventsCommitted?.();
        this.inFlight = undefined;
        if (!this.dead && this.gathering.owed.length > 0) this.flush();
      },
      (err: unknown) => {
        this.inFlight = undefined;
        this.die(err, [batch, this.gathering]);
      },
    );
  }

  private commit(writes: WriteSet): Promise<void> {
    return this.deps.repo.commit({
      ...writes,
      events: writes.events.map((e) => ({ subject: this.deps.eventSubject(e), payload: e })),
    });
  }

  private die(err: unknown, batches: Batch[]): void {
    this.dead = true;
    this.gathering = { owed: [] };
    const fenced = err instanceof FencedError;
    if (fenced) this.ctx.log.warn({ sku: this.model.sku }, 'inventory write fenced: another writer moved the version; reloading');
    else this.ctx.log.error({ err, sku: this.model.sku }, 'inventory commit failed; reloading');
    const failure = new UnavailableError(
      fenced ? `inventory ${this.model.sku} changed underneath; retry` : `inventory ${this.model.sku} could not commit; retry`,
      { cause: err },
    );
    for (const b of batches) for (const o of b.owed) o.reply.fail(failure);
    this.ctx.stop();
  }
}

function settle(batch: Batch): void {
  for (const o of batch.owed) {
    if (o.error) o.reply.fail(o.error);
    else o.reply.ok(o.value!);
  }
}

/** Builds a model from what the store holds. */
async function activate(sku: string, deps: InventoryDeps): Promise<InventoryModel> {
  const stored = await deps.repo.load(sku);
  const model = newModel(sku);
  model.version = stored.version;
  model.onHand = stored.onHand;
  model.reserved = stored.reserved;
  for (const s of stored.stock) model.stock.set(s.warehouseId, { onHand: s.onHand, reserved: s.reserved });
  for (const r of stored.reservations) {
    const { updatedAt, ...rest } = r;
    loadReservation(model, r.status === 'active' ? rest : { ...rest, finishedAt: updatedAt });
  }
  model.availableAtLastWrite = model.onHand - model.reserved;
  return model;
}

/** The `inventory` entity type, registered on actor nodes. */
export function inventoryEntity(deps: InventoryDeps): EntityDefinition<InventoryEntity, InventoryMsg, InventoryReply> {
  return {
    type: inventoryType,
    ...(deps.idleTimeoutMs ? { idleTimeoutMs: deps.idleTimeoutMs } : {}),
    decode: decodeInventoryMsg,
    activate: async (sku, ctx) => new InventoryEntity(await activate(sku, deps), deps, ctx),
    receive(entity, msg, reply) {
      entity.receive(msg, reply);
      return entity;
    },
    deactivate: (entity) => entity.settled(),
  };
}
