// Reserving an order's lines on their SKUs' inventory entities, all or nothing. Reservation
// ids are derived from the order and the SKU (never from a line's position), so a retry of
// the same order finds what an earlier attempt took even if the cart changed meanwhile. A
// line larger than any one warehouse's stock is split across warehouses, fastest first,
// and only warehouses with a route to the address are used.
import { createHash } from 'node:crypto';
import { ClusterError, RejectedError, UnavailableError } from '../../cluster/index.ts';
import type { InventoryApi, Reserved } from '../inventory/index.ts';
import { partsOf, type LinePart, type OrderLine } from '../../stores/mysql/orders.ts';

/** The reservation id of part `k` of a line: `<orderId>:<sku>[:k]` (a hash for long SKUs). */
export function reservationIdOf(orderId: string, sku: string, k = 0): string {
  const skuPart = orderId.length + sku.length + 5 <= 124 ? sku : `h${createHash('sha256').update(sku).digest('hex').slice(0, 32)}`;
  return k === 0 ? `${orderId}:${skuPart}` : `${orderId}:${skuPart}:${k}`;
}

/** Most parts one line may be split into (and ids tried when releasing). */
export const maxParts = 8;

export interface ReserveContext {
  orderId: string;
  inventory: InventoryApi;
  ttlMs: number;
  /** Warehouses that ship to the address, fastest first (undefined: any warehouse). */
  allowed: string[] | undefined;
}

/** `sold_out`: short, with no unit free in any warehouse (whoever the buyer). */
type LineOutcome = ({ ok: LinePart[] } | { short: 'insufficient' | 'sold_out' | 'undeliverable' } | { err: unknown }) & {
  /** Reservation ids that may hold units now (answered reserved, or no answer). */
  touched: string[];
};

const isCode = (err: unknown, code: string) => err instanceof RejectedError && err.code === code;

async function reservePart(c: ReserveContext, sku: string, k: number, qty: number, prefer: string[] | undefined, touched: string[]): Promise<Reserved> {
  const reservationId = reservationIdOf(c.orderId, sku, k);
  let r: Reserved;
  try {
    r = await c.inventory.reserve(sku, {
      reservationId, qty, ttlMs: c.ttlMs, owner: c.orderId, ...(prefer ? { preferWarehouses: prefer, onlyPreferred: true } : {}),
    });
  } catch (err) {
    // A refusal took nothing; anything else may have.
    if (!(err instanceof RejectedError)) touched.push(reservationId);
    throw err;
  }
  touched.push(reservationId);
  // A reservation id seen before answers with its state now: only an active one holds stock.
  if (r.status !== 'reserved') throw new RejectedError('reservation_closed', `reservation ${reservationId} is ${r.status}`);
  return r;
}

/** One line: whole from one warehouse if any holds it, else split across warehouses. */
async function reserveLine(c: ReserveContext, line: OrderLine): Promise<LineOutcome> {
  const parts: LinePart[] = [];
  const touched: string[] = [];
  let firstRefusal: RejectedError | undefined;
  try {
    const r = await reservePart(c, line.sku, 0, line.qty, c.allowed, touched);
    parts.push({ reservationId: r.reservationId, warehouseId: r.warehouseId, qty: r.qty });
    if (r.qty === line.qty) return { ok: parts, touched };
  } catch (err) {
    if (!isCode(err, 'insufficient_stock')) return { err, touched };
    firstRefusal = err as RejectedError;
  }
  // Nothing free anywhere (a sold-out SKU): no need to look at the warehouses.
  const availableAnywhere = (firstRefusal?.data as { available?: number } | undefined)?.available;
  if (parts.length === 0 && availableAnywhere === 0) return { short: 'sold_out', touched };
  let view;
  try {
    view = await c.inventory.get(line.sku);
  } catch (err) {
    return { err, touched };
  }
  const free = new Map(view.warehouses.map((w) => [w.warehouseId, w.available]));
  const candidates = (c.allowed ?? [...free.keys()].sort((a, b) => (free.get(b) ?? 0) - (free.get(a) ?? 0)))
    .filter((w) => (free.get(w) ?? 0) > 0 && !parts.some((p) => p.warehouseId === w));
  let remaining = line.qty - parts.reduce((n, p) => n + p.qty, 0);
  for (const w of candidates) {
    if (remaining <= 0 || parts.length >= maxParts) break;
    try {
      const r = await reservePart(c, line.sku, parts.length, Math.min(remaining, free.get(w)!), [w], touched);
      parts.push({ reservationId: r.reservationId, warehouseId: r.warehouseId, qty: r.qty });
      remaining -= r.qty;
    } catch (err) {
      if (!isCode(err, 'insufficient_stock')) return { err, touched };
      // Taken meanwhile by someone else: try the next warehouse.
    }
  }
  if (remaining === 0) return { ok: parts, touched };
  if (remaining < 0) return { err: new RejectedError('order_closed', 'this order was started with other quantities; check out again'), touched };
  // Undeliverable only when no warehouse that ships here carries the SKU at all, that is
  // has a stock row for it: units held for other orders there, or sold there down to none
  // on hand, are a shortage (409, gone when the holds end or it is restocked), not an
  // address to give up on. Counting only units on hand turned the same shortage into 422
  // the moment the order holding the last unit there was paid.
  const carrying = new Set(view.warehouses.map((w) => w.warehouseId));
  const carriedHere = (c.allowed ?? []).some((w) => carrying.has(w));
  const anywhere = view.warehouses.reduce((n, w) => n + Math.max(0, w.available), 0);
  if (c.allowed && !carriedHere && parts.length === 0 && anywhere > 0) return { short: 'undeliverable', touched };
  return { short: parts.length === 0 && anywhere === 0 ? 'sold_out' : 'insufficient', touched };
}

/**
 * Reserves every line, filling in its parts. If any line is short, releases every line
 * and says which SKUs (409 insufficient_stock, or 422 undeliverable when the free units
 * are only in warehouses that do not ship to the address, and none that does carries it,
 * even at none on hand). If an outcome is unclear (a timeout, a node
 * moving), releases nothing: the caller retries the same order, whose reservation ids find
 * what was already taken, and anything left behind expires with its hold.
 * `beforeRelease` may veto the release (the order was recorded after all).
 */
export async function reserveAll(c: ReserveContext, lines: OrderLine[], beforeRelease: () => Promise<boolean>): Promise<void> {
  const outcomes = await Promise.all(lines.map((line) => reserveLine(c, line)));
  const short: string[] = [];
  const soldOut: string[] = [];
  const undeliverable: string[] = [];
  let closed = false;
  let unclear: unknown;
  outcomes.forEach((o, i) => {
    const line = lines[i]!;
    if ('ok' in o) {
      line.parts = o.ok;
      line.reservationId = o.ok[0]!.reservationId;
      line.warehouseId = o.ok[0]!.warehouseId;
    } else if ('short' in o) {
      (o.short === 'undeliverable' ? undeliverable : short).push(line.sku);
      if (o.short === 'sold_out') soldOut.push(line.sku);
    } else if (o.err instanceof RejectedError) {
      closed = true;
    } else {
      unclear ??= o.err;
    }
  });
  if (short.length === 0 && undeliverable.length === 0 && !closed) {
    if (unclear === undefined) return;
    throw unclear instanceof ClusterError && unclear.retryable ? unclear : new UnavailableError('stock could not be reserved; retry', { cause: unclear });
  }
  // All or nothing: give back every line, including any whose answer was lost.
  const touched = outcomes.flatMap((o, i) => o.touched.map((id) => ({ sku: lines[i]!.sku, id })));
  if (touched.length > 0 && (await beforeRelease())) await releaseIds(c.inventory, touched);
  if (undeliverable.length > 0) {
    throw new RejectedError('undeliverable', `no warehouse holding ${undeliverable.join(', ')} ships to this address`, { data: { skus: undeliverable } });
  }
  if (short.length > 0) throw insufficientStock(short, soldOut);
  throw new RejectedError('order_closed', 'this order was already given up; check out again');
}

/**
 * 409 insufficient_stock naming the short SKUs; `soldOut` (added to the contract) names those
 * of them with no unit free anywhere, which no buyer could get now, whatever the quantity
 * or address: what a gateway's sold-out gate remembers.
 */
export function insufficientStock(skus: string[], soldOut: string[]): RejectedError {
  return new RejectedError('insufficient_stock', `not enough stock for ${skus.join(', ')}`, { data: { skus, soldOut } });
}

/**
 * Gives reservations back, each with one inventory op, and says whether every one was
 * answered (a refusal counts: an id never reserved, or already in its final state).
 * `release` frees held units and refuses committed ones, so it can never un-sell a unit:
 * what a checkout that is still placing its order gives back. `restore` also puts units
 * committed ahead of a payment that did not happen back on sale (saga.ts
 * `payInOneWrite`): what an order closed unpaid gives back. Both are idempotent.
 */
async function giveBack(inventory: InventoryApi, ids: { sku: string; id: string }[], op: 'release' | 'restore'): Promise<boolean> {
  const results = await Promise.all(ids.map(({ sku, id }) =>
    inventory[op](sku, id, { deadlineMs: 10_000 }).then(() => true, (err: unknown) => err instanceof RejectedError)));
  return results.every(Boolean);
}

/** Releases held reservations (see `giveBack`). */
export const releaseIds = (inventory: InventoryApi, ids: { sku: string; id: string }[]) => giveBack(inventory, ids, 'release');

/** Gives back an unpaid, closed order's reservations, held or committed (see `giveBack`). */
export const restoreIds = (inventory: InventoryApi, ids: { sku: string; id: string }[]) => giveBack(inventory, ids, 'restore');

/** Every reservation of an order's lines. */
export const partIds = (lines: OrderLine[]) => lines.flatMap((line) => partsOf(line).map((p) => ({ sku: line.sku, id: p.reservationId })));
