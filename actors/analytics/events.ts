// The events analytics and recommendations read, as they travel on the streams. Pure
// shapes and checks: what came off a stream is untrusted JSON until it passes these.
import type { OrderEvent as PublishedOrderEvent } from '../checkout/events.ts';

/** A clickstream event on EVENTS (`events.<type>.<user|anonymous>`). */
export interface ClickEvent {
  /** Unique per event; also the JetStream message id, so a retried publish is stored once. */
  id: string;
  type: ClickType;
  sku: string;
  /** The product's category when the publisher knew it (it always does for views). */
  category?: string;
  /** The search that led to a click, when there was one. */
  query?: string;
  userId?: string;
  deviceId?: string;
  at: number;
}

export const clickTypes = ['view', 'click', 'add_to_cart', 'wishlist_add'] as const;
export type ClickType = (typeof clickTypes)[number];

/** A search on SEARCH (`search.query.<user|anonymous>`), as the search service publishes it. */
export interface SearchEvent {
  query: string;
  userId?: string;
  deviceId?: string;
  resultCount?: number;
  /** The first SKUs of the result page, best first (when the publisher sent them). */
  skus?: string[];
  at: number;
}

/** An order event on ORDERS. `OrderPlaced` is sent when the order is paid. */
/**
 * The checkout's published shape (actors/checkout/events.ts), as read back: lines of older
 * events may lack their category, and fields this side does not read are not kept.
 */
export type OrderEvent = Pick<PublishedOrderEvent, 'type' | 'orderId' | 'userId' | 'total' | 'currency' | 'country' | 'at'> & {
  /** Absent on events written before it was added: their revenue is the lines' prices. */
  goods?: number;
  lines: (Omit<PublishedOrderEvent['lines'][number], 'category'> & { category?: string })[];
};

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
type Loose = Record<string, unknown>;

export function asClickEvent(v: unknown): ClickEvent | undefined {
  const e = v as Loose;
  if (!e || !isStr(e.sku) || !isNum(e.at) || !(clickTypes as readonly unknown[]).includes(e.type)) return undefined;
  return {
    id: isStr(e.id) ? e.id : '', type: e.type as ClickType, sku: e.sku, at: e.at,
    ...(isStr(e.category) ? { category: e.category } : {}),
    ...(isStr(e.query) ? { query: e.query } : {}),
    ...(isStr(e.userId) ? { userId: e.userId } : {}),
    ...(isStr(e.deviceId) ? { deviceId: e.deviceId } : {}),
  };
}

export function asSearchEvent(v: unknown): SearchEvent | undefined {
  const e = v as Loose;
  if (!e || typeof e.query !== 'string' || !isNum(e.at)) return undefined;
  return {
    query: e.query, at: e.at,
    ...(isStr(e.userId) ? { userId: e.userId } : {}),
    ...(isStr(e.deviceId) ? { deviceId: e.deviceId } : {}),
    ...(isNum(e.resultCount) ? { resultCount: e.resultCount } : {}),
    ...(Array.isArray(e.skus) ? { skus: e.skus.filter(isStr).slice(0, 20) } : {}),
  };
}

export function asOrderEvent(v: unknown): OrderEvent | undefined {
  const e = v as Loose;
  if (!e || !isStr(e.type) || !isStr(e.orderId) || !isStr(e.currency) || !Array.isArray(e.lines)) return undefined;
  const lines: OrderEvent['lines'] = [];
  for (const l of e.lines as Loose[]) {
    if (!l || !isStr(l.sku) || !isNum(l.qty) || !isNum(l.price)) continue;
    lines.push({ sku: l.sku, qty: l.qty, price: l.price, ...(isStr(l.category) ? { category: l.category } : {}) });
  }
  return {
    type: e.type, orderId: e.orderId, userId: isStr(e.userId) ? e.userId : '', total: isNum(e.total) ? e.total : 0,
    currency: e.currency, lines, at: isNum(e.at) ? e.at : Date.now(),
    ...(isStr(e.country) ? { country: e.country.toUpperCase() } : {}),
    ...(isNum(e.goods) && e.goods >= 0 ? { goods: e.goods } : {}),
  };
}

/** +1 for a sale (paid), −1 for a refund, 0 for order events that do not change revenue. */
export function saleSign(type: string): 1 | -1 | 0 {
  if (type === 'OrderPlaced') return 1;
  if (type === 'OrderRefunded') return -1;
  return 0;
}
