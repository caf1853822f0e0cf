// What a scenario is judged on, read from MariaDB once the sale has stopped and the
// sweepers have had their turn: nothing oversold, nothing acknowledged and lost, nobody
// charged twice, no stock left held by orders that no longer hold it.
import type { Pool } from '../../stores/mysql/index.ts';
import type { LoadResult } from './load.ts';
import { sleep } from './load.ts';

export interface Verdict {
  oversold: number;
  ackMissing: number;
  doubleCharges: number;
  duplicateOrders: number;
  stranded: number;
  /** Of the stranded units, those in reservations that the expiry sweeper will still release by themselves. */
  strandedExpiring: number;
  paidInDb: number;
  soldUnits: number;
  counterDrift: number;
  settleMs: number;
}

type Row = Record<string, unknown>;

async function rows(pool: Pool, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [r] = await pool.query(sql, params);
  return r as Row[];
}

const open = "('pending_payment', 'charging', 'payment_declined')";

/**
 * Units of every SKU that no open order holds: reserved ones (read from the counter), and
 * committed ones of an order that ended unpaid (stock committed ahead of a payment that
 * did not happen, which expiry or the sweeper puts back on the shelf).
 */
async function strandedUnits(pool: Pool): Promise<{ stranded: number; reserved: number }> {
  const [reserved] = await rows(pool, 'SELECT COALESCE(SUM(reserved), 0) AS n FROM inventory');
  const [heldByOpen] = await rows(pool, `SELECT COALESCE(SUM(r.qty), 0) AS n FROM reservations r JOIN orders o ON o.order_id = r.owner
    WHERE r.status = 'active' AND o.status IN ${open}`);
  const [soldToNobody] = await rows(pool, `SELECT COALESCE(SUM(r.qty), 0) AS n FROM reservations r LEFT JOIN orders o ON o.order_id = r.owner
    WHERE r.status = 'committed' AND r.owner IS NOT NULL AND (o.order_id IS NULL OR o.status IN ('expired', 'cancelled', 'failed', 'refunded'))`);
  return { stranded: Math.max(0, Number(reserved!.n) - Number(heldByOpen!.n)) + Number(soldToNobody!.n), reserved: Number(reserved!.n) };
}

/**
 * Waits (bounded) until no order is open and no unit is held outside one, then checks:
 * the expiry sweeper closes the orders, the checkout sweeper releases what checkouts with
 * an unknown outcome reserved but never recorded (after LOOSE_RESERVATION_MS).
 */
export async function verify(pool: Pool, load: LoadResult, sku: string, stock: number, settleLimitMs: number): Promise<Verdict> {
  const started = Date.now();
  while (Date.now() - started < settleLimitMs) {
    try {
      const [o] = await rows(pool, `SELECT COUNT(*) AS n FROM orders WHERE status IN ${open}`);
      if (Number(o!.n) === 0 && (await strandedUnits(pool)).stranded === 0) break;
    } catch {
      // MariaDB may still be coming back.
    }
    await sleep(500);
  }
  const settleMs = Date.now() - started;
  if (settleMs >= settleLimitMs) {
    // What was left when the window closed says which sweeper did not finish: orders
    // still open (by status), or units reserved under no open order (by owner).
    const stuck = await rows(pool, `SELECT status, COUNT(*) AS n, MIN(reserved_until) - ? AS due_ms, ? - MAX(updated_at) AS since_change_ms, GROUP_CONCAT(order_id) AS ids
      FROM orders WHERE status IN ${open} GROUP BY status`, [Date.now(), Date.now()]).catch(() => []);
    const loose = await rows(pool, `SELECT r.owner, r.status AS reservation, o.status AS order_status, ? - UNIX_TIMESTAMP(r.created_at) * 1000 AS age_ms
      FROM reservations r LEFT JOIN orders o ON o.order_id = r.owner
      WHERE r.status = 'active' AND (o.order_id IS NULL OR o.status NOT IN ${open}) LIMIT 10`, [Date.now()]).catch(() => []);
    process.stderr.write(`[chaos] not settled after ${settleMs} ms: open orders ${JSON.stringify(stuck)}; reservations outside them ${JSON.stringify(loose)}\n`);
  }
  const [paid] = await rows(pool, "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'");
  const [committed] = await rows(pool, "SELECT COALESCE(SUM(qty), 0) AS n FROM reservations WHERE sku = ? AND status = 'committed'", [sku]);
  const [inv] = await rows(pool, 'SELECT on_hand, reserved FROM inventory WHERE sku = ?', [sku]);
  const paidInDb = Number(paid!.n);
  const soldUnits = Number(committed!.n);
  const onHand = Number(inv?.on_hand ?? stock);
  const oversold = Math.max(0, paidInDb - stock, soldUnits - stock, -onHand);

  const ids = [...load.created];
  const known = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await rows(pool, 'SELECT order_id, status FROM orders WHERE order_id IN (?)', [ids.slice(i, i + 500)])) known.set(String(r.order_id), String(r.status));
  }
  let ackMissing = 0;
  for (const id of load.created) if (!known.has(id)) ackMissing++;
  for (const id of load.paid) if (known.get(id) !== 'paid') ackMissing++;

  const [doubles] = await rows(pool, `SELECT COUNT(*) AS n FROM (SELECT order_id FROM sim_charges WHERE outcome = 'approved' AND refunded_at IS NULL
    GROUP BY order_id HAVING COUNT(*) > 1) d`);

  // Reserved units of every SKU that no open order holds: after the sweepers, none.
  const { stranded, reserved } = await strandedUnits(pool);
  const [active] = await rows(pool, "SELECT COALESCE(SUM(qty), 0) AS n, COALESCE(SUM(CASE WHEN expires_at > ? THEN qty ELSE 0 END), 0) AS later FROM reservations WHERE status = 'active'", [Date.now()]);
  return {
    oversold,
    ackMissing,
    doubleCharges: Number(doubles!.n),
    duplicateOrders: load.duplicateOrders,
    stranded,
    strandedExpiring: Math.min(stranded, Number(active!.later)),
    paidInDb,
    soldUnits,
    // The stock counters against the reservation rows they summarise.
    counterDrift: reserved - Number(active!.n),
    settleMs,
  };
}
