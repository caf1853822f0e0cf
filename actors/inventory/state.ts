// The inventory decisions, free of I/O: given the SKU's state and a message, change the
// state and say what to answer. It mutates in place because a hot SKU takes tens of
// thousands of messages a second and copying maps per message would dominate; every
// change is also noted in a write set that the actor commits in its next batch.
import { RejectedError } from '../../cluster/index.ts';
import { ExpiryHeap } from './expiry-heap.ts';
import { FinishedIds } from './finished-ids.ts';
import type {
  Expired, Finalized, InventoryMsg, InventoryReply, InventoryView, Reserved, ReserveMsg, StockStatus,
} from './messages.ts';

export interface Stock {
  onHand: number;
  reserved: number;
}

export type ReservationStatus = 'active' | 'committed' | 'released' | 'expired';

export interface Reservation {
  id: string;
  warehouseId: string;
  qty: number;
  owner: string | null;
  status: ReservationStatus;
  expiresAt: number;
  /** When it was committed, released or expired (ms); memory only, to forget old ones. */
  finishedAt?: number;
}

export interface InventoryModel {
  sku: string;
  /** The version in the store that the next batch is conditional on. */
  version: number;
  /** Whether the store has a row for this SKU (else the next batch creates it). */
  stored: boolean;
  stock: Map<string, Stock>;
  /** Active reservations and recently finished ones (kept so a retried id gets its first answer). */
  reservations: Map<string, Reservation>;
  /**
   * Ids of reservations finished within the dedup window but no longer in `reservations`:
   * a `reserve` for one of them must read the row back first (the entity's `recall`).
   */
  forgotten: FinishedIds;
  due: ExpiryHeap;
  onHand: number;
  reserved: number;
  /** `available` as of the last write set taken, to see out-of-stock transitions per batch. */
  availableAtLastWrite: number;
  /** `available` as of the last `level` event, so level events follow real movements, not every batch. */
  availableAtLastLevel: number;
  /**
   * The warehouses with units free as of the last write set. One that runs out, or has
   * units again, sends a `level` event although the SKU's total hardly moved: where the
   * units sit is what a delivery estimate is made of.
   */
  freeWarehousesAtLastWrite: Set<string>;
  dirtyStock: Set<string>;
  dirtyReservations: Set<Reservation>;
  /** setStock command ids applied (id → when), so a resent command is not applied twice. */
  commands: Map<string, number>;
  dirtyCommands: string[];
}

export interface InventoryEvent {
  kind: 'out_of_stock' | 'back_in_stock' | 'level';
  sku: string;
  /**
   * The SKU's version this event's batch committed. Versions only grow (the epoch fence
   * keeps a stale owner from committing), so a consumer applies a level only if it is
   * newer than the one it holds, and a redelivered old event changes nothing.
   */
  version: number;
  available: number;
  onHand: number;
  reserved: number;
  at: number;
}

/** Everything one batch must write, in one transaction. */
export interface WriteSet {
  sku: string;
  /** The SKU has no row yet: this write set creates it. */
  create: boolean;
  expectedVersion: number;
  onHand: number;
  reserved: number;
  stock: { warehouseId: string; onHand: number; reserved: number }[];
  reservations: Reservation[];
  /** setStock command ids this batch applied. */
  commands: string[];
  events: InventoryEvent[];
}

export type Decision = { ok: InventoryReply } | { rejected: RejectedError };

export const lowStockThreshold = 10;

/** How long one generation of forgotten ids gathers ids (finished-ids.ts): an eighth of the window. */
export const forgottenSpan = (dedupWindowMs: number) => Math.max(1, Math.floor(dedupWindowMs / 8));

export function newModel(sku: string, dedupWindowMs = 24 * 3600_000): InventoryModel {
  return {
    sku, version: 0, stored: false, stock: new Map(), reservations: new Map(), forgotten: new FinishedIds(forgottenSpan(dedupWindowMs)), due: new ExpiryHeap(),
    onHand: 0, reserved: 0, availableAtLastWrite: 0, availableAtLastLevel: 0, freeWarehousesAtLastWrite: new Set(), dirtyStock: new Set(), dirtyReservations: new Set(),
    commands: new Map(), dirtyCommands: [],
  };
}

/** Adds a loaded reservation to a model being rebuilt from the store. */
export function loadReservation(model: InventoryModel, r: Reservation): void {
  model.reservations.set(r.id, r);
  if (r.status === 'active') model.due.push({ at: r.expiresAt, id: r.id });
}

export function available(model: InventoryModel): number {
  return model.onHand - model.reserved;
}

export function stockStatus(avail: number): StockStatus {
  if (avail <= 0) return 'out_of_stock';
  return avail <= lowStockThreshold ? 'low' : 'in_stock';
}

export function view(model: InventoryModel): InventoryView {
  const avail = available(model);
  const warehouses = [...model.stock.entries()]
    .map(([warehouseId, s]) => ({ warehouseId, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved }))
    .sort((a, b) => (a.warehouseId < b.warehouseId ? -1 : 1));
  return { sku: model.sku, onHand: model.onHand, reserved: model.reserved, available: avail, status: stockStatus(avail), warehouses };
}

function stockOf(model: InventoryModel, warehouseId: string): Stock {
  let s = model.stock.get(warehouseId);
  if (!s) {
    s = { onHand: 0, reserved: 0 };
    model.stock.set(warehouseId, s);
  }
  return s;
}

function touch(model: InventoryModel, r: Reservation, warehouseId: string): void {
  model.dirtyReservations.add(r);
  model.dirtyStock.add(warehouseId);
}

function answer(r: Reservation): Reserved | Finalized {
  if (r.status === 'active') return { reservationId: r.id, status: 'reserved', warehouseId: r.warehouseId, qty: r.qty, expiresAt: r.expiresAt };
  return { reservationId: r.id, status: r.status };
}

/** The warehouse a reservation takes its units from: preferred ones in order, then the fullest. */
function pickWarehouse(model: InventoryModel, msg: ReserveMsg): string | undefined {
  for (const w of msg.preferWarehouses ?? []) {
    const s = model.stock.get(w);
    if (s && s.onHand - s.reserved >= msg.qty) return w;
  }
  if (msg.onlyPreferred) return undefined;
  let best: string | undefined;
  let bestAvailable = 0;
  for (const [w, s] of model.stock) {
    const a = s.onHand - s.reserved;
    if (a >= msg.qty && (a > bestAvailable || (a === bestAvailable && best !== undefined && w < best))) {
      best = w;
      bestAvailable = a;
    }
  }
  return best;
}

function finish(model: InventoryModel, r: Reservation, status: 'committed' | 'released' | 'expired', now: number): void {
  const s = stockOf(model, r.warehouseId);
  s.reserved -= r.qty;
  model.reserved -= r.qty;
  if (status === 'committed') {
    s.onHand -= r.qty;
    model.onHand -= r.qty;
  }
  r.status = status;
  r.finishedAt = now;
  touch(model, r, r.warehouseId);
}

/** Expires every active reservation due at `now`; returns how many. */
export function expireDue(model: InventoryModel, now: number): number {
  let count = 0;
  for (let top = model.due.peek(); top && top.at <= now; top = model.due.peek()) {
    model.due.pop();
    const r = model.reservations.get(top.id);
    // Entries for reservations finished earlier are left in the heap and skipped here.
    if (r && r.status === 'active' && r.expiresAt <= now) {
      finish(model, r, 'expired', now);
      count++;
    }
  }
  return count;
}

function reserve(model: InventoryModel, msg: ReserveMsg, now: number): Decision {
  const existing = model.reservations.get(msg.reservationId);
  if (existing) return { ok: answer(existing) };
  const warehouseId = pickWarehouse(model, msg);
  if (warehouseId === undefined) {
    const avail = available(model);
    return {
      rejected: new RejectedError('insufficient_stock', `only ${Math.max(0, avail)} of ${model.sku} available in one warehouse for ${msg.qty}`, {
        data: { sku: model.sku, requested: msg.qty, available: Math.max(0, avail) },
      }),
    };
  }
  const r: Reservation = {
    id: msg.reservationId, warehouseId, qty: msg.qty, owner: msg.owner ?? null, status: 'active', expiresAt: now + msg.ttlMs,
  };
  model.reservations.set(r.id, r);
  model.due.push({ at: r.expiresAt, id: r.id });
  stockOf(model, warehouseId).reserved += r.qty;
  model.reserved += r.qty;
  touch(model, r, warehouseId);
  return { ok: answer(r) };
}

function notFound(model: InventoryModel, reservationId: string): Decision {
  return { rejected: new RejectedError('reservation_not_found', `no reservation ${reservationId} on ${model.sku}`, { data: { sku: model.sku, reservationId } }) };
}

/**
 * Decides one message at time `now`. Due reservations expire first, so an answer never
 * counts units that are already free again.
 */
export function decide(model: InventoryModel, msg: InventoryMsg, now: number): Decision {
  const expired = expireDue(model, now);
  switch (msg.op) {
    case 'reserve':
      return reserve(model, msg, now);
    case 'commit': {
      const r = model.reservations.get(msg.reservationId);
      if (!r) return notFound(model, msg.reservationId);
      if (r.status === 'active') finish(model, r, 'committed', now);
      if (r.status !== 'committed') {
        return { rejected: new RejectedError(`reservation_${r.status}`, `reservation ${r.id} was ${r.status} and cannot be committed`, { data: { sku: model.sku, reservationId: r.id, status: r.status } }) };
      }
      return { ok: answer(r) as Finalized };
    }
    case 'release': {
      const r = model.reservations.get(msg.reservationId);
      if (!r) return notFound(model, msg.reservationId);
      if (r.status === 'active') finish(model, r, 'released', now);
      if (r.status === 'committed') {
        return { rejected: new RejectedError('reservation_committed', `reservation ${r.id} is already committed (sold)`, { data: { sku: model.sku, reservationId: r.id } }) };
      }
      return { ok: answer(r) as Finalized };
    }
    case 'restore': {
      const r = model.reservations.get(msg.reservationId);
      if (!r) return notFound(model, msg.reservationId);
      if (r.status === 'committed') {
        // The sale fell through: the units are back on the shelf they left.
        const s = stockOf(model, r.warehouseId);
        s.onHand += r.qty;
        model.onHand += r.qty;
        r.status = 'released';
        r.finishedAt = now;
        touch(model, r, r.warehouseId);
      } else if (r.status === 'active') {
        finish(model, r, 'released', now);
      }
      return { ok: answer(r) as Finalized };
    }
    case 'restock': {
      const s = stockOf(model, msg.warehouseId);
      s.onHand += msg.qty;
      model.onHand += msg.qty;
      model.dirtyStock.add(msg.warehouseId);
      return { ok: view(model) };
    }
    case 'setStock': {
      // An absolute value over a moving stock: applying a resent command again would undo
      // the sales made since, so a command id seen before only answers the current view.
      if (msg.commandId !== undefined && model.commands.has(msg.commandId)) return { ok: view(model) };
      for (const w of msg.warehouses) {
        const s = model.stock.get(w.warehouseId);
        if (s && w.onHand < s.reserved) {
          return {
            rejected: new RejectedError('stock_below_reserved', `warehouse ${w.warehouseId} has ${s.reserved} reserved; onHand cannot go below it`, {
              data: { sku: model.sku, warehouseId: w.warehouseId, reserved: s.reserved },
            }),
          };
        }
      }
      for (const w of msg.warehouses) {
        const s = stockOf(model, w.warehouseId);
        model.onHand += w.onHand - s.onHand;
        s.onHand = w.onHand;
        model.dirtyStock.add(w.warehouseId);
      }
      if (msg.commandId !== undefined) {
        model.commands.set(msg.commandId, now);
        model.dirtyCommands.push(msg.commandId);
      }
      return { ok: view(model) };
    }
    case 'get':
      return { ok: view(model) };
    case 'expire':
      return { ok: { expired } satisfies Expired };
  }
}

/**
 * Whether `available` moved enough since the last level event to send another: the stock
 * status changed (in stock, low, out), or it moved by 5% or 10 units, whichever is more.
 * A flash sale commits hundreds of batches a second; a level event per batch was a tenth
 * of its throughput for consumers that only act on these movements.
 */
export function levelMoved(last: number, now: number): boolean {
  if (stockStatus(last) !== stockStatus(now)) return true;
  return Math.abs(now - last) >= Math.max(10, Math.ceil(Math.abs(last) * 0.05));
}

const hasFree = (s: Stock): boolean => s.onHand - s.reserved > 0;

/** The warehouses with units free: as the model holds them now. */
export function freeWarehouses(model: InventoryModel): Set<string> {
  const out = new Set<string>();
  for (const [w, s] of model.stock) if (hasFree(s)) out.add(w);
  return out;
}

/**
 * Whether a warehouse written since the last write set ran out of free units or has some
 * again, bringing `freeWarehousesAtLastWrite` up to date. Only the dirty ones can have moved.
 */
function freeWarehousesMoved(model: InventoryModel): boolean {
  let moved = false;
  for (const w of model.dirtyStock) {
    const s = model.stock.get(w)!;
    const free = hasFree(s);
    if (free === model.freeWarehousesAtLastWrite.has(w)) continue;
    moved = true;
    if (free) model.freeWarehousesAtLastWrite.add(w);
    else model.freeWarehousesAtLastWrite.delete(w);
  }
  return moved;
}

export function hasWrites(model: InventoryModel): boolean {
  return model.dirtyStock.size > 0 || model.dirtyReservations.size > 0 || model.dirtyCommands.length > 0;
}

/**
 * Takes what changed since the last call as one write set, conditional on the current
 * version, and moves the model to the version that write set will create.
 */
export function takeWrites(model: InventoryModel, now: number): WriteSet | undefined {
  if (!hasWrites(model)) return undefined;
  const avail = available(model);
  const events: InventoryEvent[] = [];
  const base = { sku: model.sku, version: model.version + 1, available: avail, onHand: model.onHand, reserved: model.reserved, at: now };
  const before = model.availableAtLastWrite;
  if (before > 0 && avail <= 0) events.push({ kind: 'out_of_stock', ...base });
  if (before <= 0 && avail > 0) events.push({ kind: 'back_in_stock', ...base });
  const whereMoved = freeWarehousesMoved(model);
  if (levelMoved(model.availableAtLastLevel, avail) || events.length > 0 || whereMoved) {
    events.push({ kind: 'level', ...base });
    model.availableAtLastLevel = avail;
  }
  const writes: WriteSet = {
    sku: model.sku,
    create: !model.stored,
    expectedVersion: model.version,
    onHand: model.onHand,
    reserved: model.reserved,
    stock: [...model.dirtyStock].map((w) => {
      const s = model.stock.get(w)!;
      return { warehouseId: w, onHand: s.onHand, reserved: s.reserved };
    }),
    // Copies: the model keeps changing while this set is in flight.
    reservations: [...model.dirtyReservations].map(({ finishedAt: _, ...r }) => r),
    commands: model.dirtyCommands,
    events,
  };
  model.dirtyStock.clear();
  model.dirtyReservations.clear();
  model.dirtyCommands = [];
  model.availableAtLastWrite = avail;
  model.version++;
  model.stored = true;
  return writes;
}

/**
 * Keeps a long-lived SKU's memory bounded. Reservations that finished before `keepCutoff`
 * (ms) leave `reservations` and only their ids are kept (`forgotten`), until
 * `dedupCutoff`; a retry of an id older than that is not recognised. The same goes for
 * setStock command ids (few, kept whole).
 */
export function forgetFinished(model: InventoryModel, keepCutoff: number, dedupCutoff: number): void {
  for (const [id, r] of model.reservations) {
    if (r.status === 'active') continue;
    const finishedAt = r.finishedAt ?? 0;
    if (finishedAt >= keepCutoff) continue;
    model.reservations.delete(id);
    if (finishedAt >= dedupCutoff) model.forgotten.add(id, finishedAt);
  }
  model.forgotten.dropFinishedBefore(dedupCutoff);
  for (const [id, at] of model.commands) if (at < dedupCutoff) model.commands.delete(id);
}
