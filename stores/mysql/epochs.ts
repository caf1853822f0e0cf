// Fencing tokens for entity writers. A lease says who should own an entity; it cannot stop
// a paused owner that wakes up with writes already on the wire. So each activation claims
// the entity's next epoch here, and every write of the entity carries a guard that fails
// the whole transaction unless the stored epoch is still the claimed one.
//
// Why this is enough: the guard reads the epoch row with a shared lock held to the end of
// the writer's transaction, and a claim takes that row's exclusive lock. So a claim waits
// for every write of the old epoch that already passed its guard, and the new owner, which
// loads only after its claim, sees them all; any write of the old epoch that reaches its
// guard after the claim fails. A version alone is not enough once writes are pipelined: a
// stale owner's second batch expects the version its first would have made, which may be
// exactly the version the new owner just wrote.
//
// @example
// // on activation, before loading the state:
// const fence = await claimEpoch(pool, 'cart', userId);
// const state = await repo.load(userId);
// // every write, as one transaction (see writes.ts):
// await writeAtomically(pool, [guard(fence), { sql: 'UPDATE carts SET … WHERE user_id = ? AND version = ?', params: […] }, …], `cart ${userId}`);
// // or inside an interactive transaction: await checkFence(conn, fence) first.
// // A FencedWriteError means: stop the actor, fail what it owed as retryable, reload on the next message.
import type { Pool, PoolConnection } from './pool.ts';
import { FencedWriteError, type Statement } from './writes.ts';

/** One activation's claim on one entity. */
export interface Fence {
  readonly type: string;
  readonly id: string;
  readonly epoch: number;
}

/** Claims the next epoch of `type:id` (1 for an entity never activated). Autocommitted. */
export async function claimEpoch(pool: Pool, type: string, id: string): Promise<Fence> {
  // LAST_INSERT_ID(expr) hands back the value this very statement wrote, so two
  // concurrent claims can never read the same epoch.
  const [res] = await pool.query(
    'INSERT INTO entity_epochs (entity_type, entity_id, epoch) VALUES (?, ?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE epoch = LAST_INSERT_ID(epoch + 1)',
    [type, id],
  );
  const epoch = Number((res as { insertId: number | string }).insertId);
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new Error(`claiming an epoch for ${type}:${id} returned ${String(epoch)}`);
  return { type, id, epoch };
}

/**
 * Claims the next epoch of `type:id` and then runs `read` (one SELECT), in ONE round trip:
 * the statements run in order on one connection, so the read still happens after the claim
 * (and sees every write of the old epoch that passed its guard). Activating a checkout cost
 * two round trips before it did anything, the most frequent query pair of a flash sale.
 */
export async function claimEpochAndRead<R>(pool: Pool, type: string, id: string, read: Statement): Promise<{ fence: Fence; rows: R[] }> {
  const [res] = await pool.query(
    `INSERT INTO entity_epochs (entity_type, entity_id, epoch) VALUES (?, ?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE epoch = LAST_INSERT_ID(epoch + 1);
     ${read.sql.replace(/;?\s*$/, ';')}`,
    [type, id, ...(read.params ?? [])],
  );
  const [claimed, rows] = res as unknown as [{ insertId: number | string }, R[]];
  const epoch = Number(claimed.insertId);
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new Error(`claiming an epoch for ${type}:${id} returned ${String(epoch)}`);
  return { fence: { type, id, epoch }, rows };
}

/** Signal text of a failed guard; `fenced:<tag>` when the caller tagged it. */
export const fencedSignal = 'fenced';

const tagPattern = /^[A-Za-z0-9_:.-]{1,100}$/;

/**
 * The statement that fails a compound transaction (writes.ts `atomically`) with SQLSTATE
 * 45000 / `fenced` unless `fence` still holds. Put it first. `tag` (for example the index
 * of an entity's part in a transaction that writes many entities) is appended to the
 * signal text as `fenced:<tag>` so the caller can tell whose fence failed.
 */
export function guard(fence: Fence, tag?: string): Statement {
  if (tag !== undefined && !tagPattern.test(tag)) throw new Error(`fence tag must be 1-100 characters of A-Za-z0-9_:.- (got ${JSON.stringify(tag)})`);
  const text = tag === undefined ? fencedSignal : `${fencedSignal}:${tag}`;
  return {
    sql: `IF NOT EXISTS (SELECT 1 FROM entity_epochs WHERE entity_type = ? AND entity_id = ? AND epoch = ? LOCK IN SHARE MODE)
      THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${text}'; END IF;`,
    params: [fence.type, fence.id, fence.epoch],
  };
}

/** The same check inside an interactive transaction (withTransaction): throws FencedWriteError. */
export async function checkFence(conn: PoolConnection, fence: Fence): Promise<void> {
  const [rows] = await conn.query(
    'SELECT epoch FROM entity_epochs WHERE entity_type = ? AND entity_id = ? LOCK IN SHARE MODE',
    [fence.type, fence.id],
  );
  const stored = (rows as { epoch: number | string }[])[0]?.epoch;
  if (stored === undefined || Number(stored) !== fence.epoch) {
    throw new FencedWriteError(`${fence.type} ${fence.id} (epoch ${fence.epoch}, now ${stored === undefined ? 'none' : String(stored)})`);
  }
}
