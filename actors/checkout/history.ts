// Order history for readers: from MariaDB through Redis. An order's page and a user's
// first page of orders are cached, and invalidated by the saga after every change.
import type { Redis } from 'ioredis';
import { RejectedError } from '../../cluster/index.ts';
import { assertListOwner, listOwnerTag } from '../common/list-owner.ts';
import { ReadThroughCache, invalidateEntries } from '../../stores/redis/index.ts';
import { partsOf, type OrderRecord, type OrderRepository, type TimelineEntry } from '../../stores/mysql/orders.ts';
import { orderStatus, timelineStatuses, type PublicStatus } from './public-status.ts';

export interface OrderLineView { sku: string; qty: number; price: number; title: string; lineTotal: number }

export interface OrderView {
  orderId: string;
  /** As the contract names it (public-status.ts). */
  status: PublicStatus;
  /** The saga's own status, finer than `status`: `payment_declined`, `charging`, `refunding`, `failed` too. */
  state: string;
  items: OrderLineView[];
  subtotal: number;
  discount: number;
  shipping: number;
  pointsUsed: number;
  total: number;
  currency: string;
  createdAt: string;
  paidAt?: string;
  carrier?: string;
  trackingNumber?: string;
  shippedAt?: string;
  deliveredAt?: string;
  refundedAt?: string;
  reservedUntil: string;
  address: unknown;
  delivery?: { eta: string; days: number };
  /** Every change of the contract's status, one entry each (API.md). */
  timeline?: Step[];
  /** Every step of the order's saga, those within one status too (charging, declined, refunding). */
  steps?: Step[];
}

interface Step { at: string; status: PublicStatus; state: string; detail: string }

export interface OrderPage { items: OrderView[]; nextCursor: string | null }

/** A delivery estimate for an order's address, where logistics has one. */
export type DeliveryEstimate = (order: OrderRecord) => Promise<{ eta: string; days: number } | undefined>;

/**
 * The estimate of an order: its slowest line, from the warehouse the line was reserved in
 * to the address's delivery cluster, counted from when it was paid (or placed).
 */
export function orderDelivery(daysFrom: (warehouseId: string, cluster: string) => Promise<number | undefined>): DeliveryEstimate {
  return async (o) => {
    const cluster = o.address?.cluster;
    if (!cluster || o.lines.length === 0) return undefined;
    let slowest = o.deliveryDays ?? 0;
    if (o.deliveryDays === null) {
      for (const line of o.lines) {
        for (const part of partsOf(line)) {
          const d = part.warehouseId ? await daysFrom(part.warehouseId, cluster) : undefined;
          if (d === undefined) return undefined;
          slowest = Math.max(slowest, d);
        }
      }
    }
    const from = o.paidAt ?? o.createdAt;
    return { eta: new Date(from + slowest * 86_400_000).toISOString().slice(0, 10), days: slowest };
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function orderView(o: OrderRecord, timeline?: TimelineEntry[]): OrderView {
  const v: OrderView = {
    orderId: o.orderId, status: orderStatus(o), state: o.status,
    items: o.lines.map((l) => ({ sku: l.sku, qty: l.qty, price: l.price, title: l.title, lineTotal: l.price * l.qty })),
    subtotal: o.subtotal, discount: o.discount, shipping: o.shipping, pointsUsed: o.pointsUsed, total: o.total, currency: o.currency,
    createdAt: iso(o.createdAt), reservedUntil: iso(o.reservedUntil), address: o.address,
  };
  if (o.paidAt !== null) v.paidAt = iso(o.paidAt);
  if (o.carrier !== null) v.carrier = o.carrier;
  if (o.trackingNumber !== null) v.trackingNumber = o.trackingNumber;
  if (o.shippedAt !== null) v.shippedAt = iso(o.shippedAt);
  if (o.deliveredAt !== null) v.deliveredAt = iso(o.deliveredAt);
  if (o.refundedAt !== null) v.refundedAt = iso(o.refundedAt);
  if (timeline) {
    const statuses = timelineStatuses(timeline.map((t) => t.status));
    v.steps = timeline.map((t, i) => ({ at: iso(t.at), status: statuses[i]!, state: t.status, detail: t.detail }));
    // A client counts status changes by the timeline's entries: a step within a status
    // (a charge awaited, a card declined, a refund under way) is in `steps` only.
    v.timeline = v.steps.filter((s, i) => i === 0 || s.status !== v.steps![i - 1]!.status);
  }
  return v;
}

function encodeCursor(o: OrderRecord, userId: string): string {
  return Buffer.from(JSON.stringify([o.createdAt, o.orderId, listOwnerTag(userId)])).toString('base64url');
}

/**
 * Reads a cursor this API gave out for `userId`'s orders, or throws 400 invalid_cursor. A
 * cursor given out before it named its list (two elements) is still read.
 */
export function decodeOrderCursor(cursor: string, userId: string): { createdAt: number; orderId: string } {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && (parts.length === 2 || parts.length === 3)) {
    const [createdAt, orderId, list] = parts as [unknown, unknown, unknown];
    if (Number.isSafeInteger(createdAt) && typeof orderId === 'string' && /^o[a-z0-9]{8,40}$/.test(orderId)) {
      assertListOwner(list, userId, 'orders');
      return { createdAt: createdAt as number, orderId };
    }
  }
  throw new RejectedError('invalid_cursor', 'the cursor is not one this API returned', { data: [{ field: 'cursor', problem: 'not a cursor from a previous page' }] });
}

export class OrderHistory {
  private readonly orderCache: ReadThroughCache<OrderView>;
  private readonly firstPages: ReadThroughCache<OrderPage>;

  constructor(private readonly orders: OrderRepository, private readonly redis: Redis, prefix: string, ttlSeconds: number, private readonly delivery?: DeliveryEstimate) {
    this.orderCache = new ReadThroughCache(redis, { prefix: `${prefix}:order`, ttlSeconds });
    this.firstPages = new ReadThroughCache(redis, { prefix: `${prefix}:orders`, ttlSeconds });
  }

  /** The order's page for an admin (any user's order). */
  async getAny(orderId: string): Promise<OrderView> {
    const o = await this.orders.get(orderId);
    if (!o) throw new RejectedError('not_found', `no order ${orderId}`);
    const v = orderView(o, await this.orders.timeline(orderId));
    const d = await this.delivery?.(o);
    if (d) v.delivery = d;
    return v;
  }

  /** The order's page for its own user; anyone else is told it does not exist. */
  async get(userId: string, orderId: string): Promise<OrderView> {
    const view = await this.orderCache.get(orderId, async () => {
      const o = await this.orders.get(orderId);
      if (!o) return undefined;
      const v = orderView(o, await this.orders.timeline(orderId));
      const d = await this.delivery?.(o);
      if (d) v.delivery = d;
      return { ...v, userId: o.userId } as OrderView;
    });
    if (!view || (view as OrderView & { userId?: string }).userId !== userId) throw new RejectedError('not_found', `no order ${orderId}`);
    const { userId: _owner, ...rest } = view as OrderView & { userId?: string };
    return rest;
  }

  async list(userId: string, limit: number, cursor?: string): Promise<OrderPage> {
    const load = async (): Promise<OrderPage> => {
      const rows = await this.orders.listByUser(userId, limit + 1, cursor ? decodeOrderCursor(cursor, userId) : undefined);
      const page = rows.slice(0, limit);
      return { items: page.map((o) => orderView(o)), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!, userId) : null };
    };
    // The first page at the default size is what almost every visit reads: cache that one.
    if (cursor || limit !== 20) return load();
    return (await this.firstPages.get(userId, load))!;
  }

  /**
   * After a change: every gateway's cached copies of this order and its user's list go
   * stale, and `also` (say, the user's profile) in the same script.
   */
  async invalidate(order: OrderRecord, also: [cache: ReadThroughCache<unknown>, id: string][] = []): Promise<void> {
    await invalidateEntries(this.redis, [[this.orderCache, order.orderId], [this.firstPages, order.userId], ...also]);
  }
}
