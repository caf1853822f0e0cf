// What the HTTP sale keeps of its failed attempts, so that a rare one can be explained after
// the run: every failure counted by kind, the first few in full (which request, which order,
// how long each step took), and — with MariaDB at hand — what the database holds of their
// orders once the sale is over: the row and its owner, the timeline, the order entity's
// epoch and the stock its id reserved. A sale of 12,000 orders once ended with one pay
// answered `404 no order` for an order its checkout had just acknowledged. All the bench
// kept was the message, and hundreds of thousands of orders did not show it again. The
// cause (a reply handed to the wrong caller, cluster/unique-query-replies.ts) was found by
// reading. Had this record existed, "owner: another user" would have pointed straight at it.
import type { Pool } from '../../stores/mysql/index.ts';

export interface Failure {
  step: 'checkout' | 'pay';
  status: number;
  /** The error's code from the API's JSON body, or the client's own message when there was no reply. */
  code: string;
  message: string;
  requestId: string | null;
  userId: string;
  /** The order the attempt placed, when its checkout was acknowledged. */
  orderId: string | null;
  /** Milliseconds since the sale started, when the attempt began. */
  startedAtMs: number;
  checkoutMs: number;
  payMs: number | null;
}

export interface OrderFindings {
  orderId: string;
  row: { userId: string; status: string; version: number; createdAt: number; updatedAt: number } | null;
  /** Whether the row's owner is the user whose attempt failed. */
  ownerMatches: boolean | null;
  timeline: { seq: number; status: string; detail: string; at: number }[];
  epoch: number | null;
  reservations: { reservationId: string; status: string; qty: number }[];
}

/** How many failures are kept in full. */
const keptInFull = 20;

export class FailureLog {
  readonly kinds = new Map<string, number>();
  readonly samples: Failure[] = [];
  count = 0;

  record(f: Failure): void {
    this.count++;
    const kind = `${f.step} ${f.status} ${f.code}`;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    if (this.samples.length < keptInFull) this.samples.push(f);
  }

  /** "pay 404 not_found ×1, checkout 503 unavailable ×2", most frequent first. */
  summary(): string {
    return [...this.kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ');
  }
}

/** The parts of an API error body the log keeps (`{ error: { code, message, requestId } }`). */
export function apiError(body: Record<string, unknown>): { code: string; message: string; requestId: string | null } {
  const e = body.error as { code?: unknown; message?: unknown; requestId?: unknown } | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : 'no_error_body',
    message: typeof e?.message === 'string' ? e.message.slice(0, 200) : JSON.stringify(body).slice(0, 200),
    requestId: typeof e?.requestId === 'string' ? e.requestId : null,
  };
}

/** What MariaDB holds of each failed attempt's order, read after the sale. */
export async function examineOrders(pool: Pool, failures: Failure[]): Promise<OrderFindings[]> {
  const out: OrderFindings[] = [];
  for (const f of failures) {
    if (!f.orderId) continue;
    const id = f.orderId;
    const [rows] = await pool.query('SELECT user_id, status, version, created_at, updated_at FROM orders WHERE order_id = ?', [id]);
    const r = (rows as { user_id: string; status: string; version: number; created_at: number | string; updated_at: number | string }[])[0];
    const [events] = await pool.query('SELECT seq, status, detail, at FROM order_events WHERE order_id = ? ORDER BY seq', [id]);
    const [epochs] = await pool.query("SELECT epoch FROM entity_epochs WHERE entity_type = 'checkout' AND entity_id = ?", [id]);
    // Reservation ids start with the order's id (actors/checkout/reserve.ts).
    const [held] = await pool.query('SELECT reservation_id, status, qty FROM reservations WHERE reservation_id LIKE ?', [`${id}:%`]);
    const epoch = (epochs as { epoch: number | string }[])[0]?.epoch;
    out.push({
      orderId: id,
      row: r ? { userId: r.user_id, status: r.status, version: Number(r.version), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) } : null,
      ownerMatches: r ? r.user_id === f.userId : null,
      timeline: (events as { seq: number; status: string; detail: string; at: number | string }[]).map((e) => ({ seq: e.seq, status: e.status, detail: e.detail, at: Number(e.at) })),
      epoch: epoch === undefined ? null : Number(epoch),
      reservations: (held as { reservation_id: string; status: string; qty: number }[]).map((h) => ({ reservationId: h.reservation_id, status: h.status, qty: h.qty })),
    });
  }
  return out;
}

/** One line per order: enough to tell "never written" from "someone else's" from "written, then lost". */
export function describeFindings(f: OrderFindings): string {
  const row = f.row ? `row ${f.row.status} v${f.row.version}, owner ${f.ownerMatches ? 'the buyer' : `another user (${f.row.userId})`}` : 'no order row';
  const timeline = f.timeline.map((e) => `${e.seq}:${e.status}`).join(' → ') || 'no timeline';
  const held = f.reservations.map((h) => `${h.status}×${h.qty}`).join(', ') || 'no reservations';
  return `${f.orderId}: ${row}; ${timeline}; epoch ${f.epoch ?? 'none'}; ${held}`;
}
