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
// Rows do not pile up: an activation that ids from outside can cause (a made-up token, order
// id or SKU) claims only if the entity exists (`claimEpochIfExists`), and the rows of
// entities gone for good are retired (`retireEpochs`) under a floor that keeps every later
// epoch of an entity above every earlier one.
//
// @example
// // on activation, before loading the state:
// const fence = await claimEpoch(pool, 'cart', userId);
// const state = await repo.load(userId);
// // every write, as one transaction (see writes.ts):
// await writeAtomically(pool, [guard(fence), { sql: 'UPDATE carts SET … WHERE user_id = ? AND version = ?', params: […] }, …], `cart ${userId}`);
// // A FencedWriteError means: stop the actor, fail what it owed as retryable, reload on the next message.
import type { Pool } from './pool.ts';
import { RetryableWriteError, writeFailure, type Statement } from './writes.ts';
import { TurnBatches } from '../turn-batches.ts';

/**
 * The epoch a claim gives an entity without an epoch row: one above the highest epoch
 * ever retired (migration 170; 1 until one is). Missing floor row: as if 0.
 */
const floorPlusOne = 'COALESCE((SELECT floor FROM entity_epoch_floor WHERE id = 1), 0) + 1';

/** One activation's claim on one entity. */
export interface Fence {
  readonly type: string;
  readonly id: string;
  readonly epoch: number;
}

/**
 * Claims the next epoch of `type:id`, committed before it returns: one above the stored
 * one, or for an entity without an epoch row, one above the floor of retired epochs (1 on
 * a database that never retired any).
 */
export async function claimEpoch(pool: Pool, type: string, id: string): Promise<Fence> {
  return (await claimsOf(pool).claim(type, id, undefined, undefined)).fence!;
}

/**
 * Claims the next epoch of `type:id` and then runs `read` (one SELECT): the read happens
 * after the claim, so it sees every write of the old epoch that passed its guard.
 */
export async function claimEpochAndRead<R>(pool: Pool, type: string, id: string, read: Statement): Promise<{ fence: Fence; rows: R[] }> {
  const { fence, rows } = await claimsOf(pool).claim(type, id, read, undefined);
  return { fence: fence!, rows: rows as R[] };
}

/**
 * `claimEpochAndRead` (or `claimEpoch`, without `read`) for an entity that exists: claims
 * only when `exists` (a SELECT, `SELECT 1 FROM <table> WHERE <key> = ?`) finds a row, and
 * otherwise claims nothing and answers no fence and no rows. For activations that ids
 * from outside can cause (a token, an order id, a SKU): one that finds nothing writes no
 * epoch row, where a claim would have written one for every made-up id, durably, for
 * ever. An activation without a fence must claim (claimEpochAndRead) before its first
 * write, and act on what that read finds.
 */
export async function claimEpochIfExists<R>(pool: Pool, type: string, id: string, exists: Statement, read?: Statement): Promise<{ fence: Fence | undefined; rows: R[] }> {
  const { fence, rows } = await claimsOf(pool).claim(type, id, read, exists);
  return { fence, rows: rows as R[] };
}

interface Claim {
  type: string;
  id: string;
  read: Statement | undefined;
  /** Claim only when this SELECT finds a row. */
  exists: Statement | undefined;
  resolve(out: { fence: Fence | undefined; rows: unknown[] }): void;
  reject(err: unknown): void;
}

const claimsByPool = new WeakMap<Pool, EpochClaims>();

/** Claims and the transactions that carried them, on one pool (for tests and benches). */
export function epochClaimStats(pool: Pool): { batches: number; claims: number } {
  return { ...claimsOf(pool).stats };
}

function claimsOf(pool: Pool): EpochClaims {
  let claims = claimsByPool.get(pool);
  if (!claims) claimsByPool.set(pool, (claims = new EpochClaims(pool)));
  return claims;
}

/**
 * The activations of a process claim their epochs together: the claims (and reads) asked
 * for in one turn of the event loop go as ONE transaction in one round trip, committed
 * before any of them is answered. Every activation of a flash sale's checkouts had been an
 * autocommitted INSERT of its own, one log flush each: the most frequent statement of
 * the sale in MariaDB's general log (1,257 of 5,681 for 1,000 attempts).
 *
 * The batch runs at READ COMMITTED so that each read takes a fresh snapshot after its own
 * claim (under repeatable read the batch's first read would fix the snapshot for all).
 * Claims are taken in (type, id) order, so two batches never wait for each other in a
 * cycle. A batch that waits too long for a lock (an old owner's write in progress), or is
 * picked as a deadlock's victim (a hand-off of entities a journal batch is writing), is
 * rolled back and each of its claims retried alone.
 */
/** How long a claim in a batch of several waits for a lock before the batch splits up. */
const batchLockWaitSeconds = 2;

class EpochClaims {
  private readonly batches: TurnBatches<Claim>;
  readonly stats = { batches: 0, claims: 0 };

  constructor(private readonly pool: Pool, private readonly retries = 5) {
    this.batches = new TurnBatches((batch) => this.run(batch), { depth: 4, max: 64 });
  }

  claim(type: string, id: string, read: Statement | undefined, exists: Statement | undefined): Promise<{ fence: Fence | undefined; rows: unknown[] }> {
    return new Promise((resolve, reject) => this.batches.add({ type, id, read, exists, resolve, reject }));
  }

  private async run(batch: Claim[]): Promise<void> {
    const ordered = [...batch].sort((a, b) => (a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1));
    const statements: string[] = [];
    const params: unknown[] = [];
    for (const c of ordered) {
      // LAST_INSERT_ID(expr) hands back the value this very statement wrote, so two
      // concurrent claims can never read the same epoch. A new row is written as 0 and then
      // raised above the floor: the floor is read only once this claim holds the row's lock,
      // which a retirement's DELETE of the row held until after the floor it raised had
      // committed. (Read in the INSERT itself, it could be read before that wait.)
      if (c.exists) {
        statements.push(`INSERT INTO entity_epochs (entity_type, entity_id, epoch) SELECT ?, ?, LAST_INSERT_ID(0) FROM DUAL WHERE EXISTS (${c.exists.sql.replace(/;?\s*$/, '')})
          ON DUPLICATE KEY UPDATE epoch = LAST_INSERT_ID(epoch + 1);`);
        params.push(c.type, c.id, ...(c.exists.params ?? []));
      } else {
        statements.push('INSERT INTO entity_epochs (entity_type, entity_id, epoch) VALUES (?, ?, LAST_INSERT_ID(0)) ON DUPLICATE KEY UPDATE epoch = LAST_INSERT_ID(epoch + 1);');
        params.push(c.type, c.id);
      }
      statements.push(
        'SET @shop_claimed = ROW_COUNT();',
        `UPDATE entity_epochs SET epoch = LAST_INSERT_ID(${floorPlusOne}) WHERE entity_type = ? AND entity_id = ? AND epoch = 0;`,
        'SELECT IF(@shop_claimed > 0, LAST_INSERT_ID(), 0) AS epoch;',
      );
      params.push(c.type, c.id);
      if (c.read) {
        statements.push(c.read.sql.replace(/;?\s*$/, ';'));
        params.push(...(c.read.params ?? []));
      }
    }
    // Several claims wait for a lock at most `batchLockWaitSeconds` (the session's setting is
    // put back, also on failure): one contended claim must not hold the others' locks for
    // innodb_lock_wait_timeout (50 s by default), even after the client gave up on it.
    const bounded = ordered.length > 1;
    const sql = `BEGIN NOT ATOMIC
      DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; ${bounded ? 'SET SESSION innodb_lock_wait_timeout = @shop_claim_lwt;' : ''} RESIGNAL; END;
      ${bounded ? `SET @shop_claim_lwt = @@SESSION.innodb_lock_wait_timeout; SET SESSION innodb_lock_wait_timeout = ${batchLockWaitSeconds};` : ''}
      SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
      START TRANSACTION;
      ${statements.join('\n')}
      COMMIT;
      ${bounded ? 'SET SESSION innodb_lock_wait_timeout = @shop_claim_lwt;' : ''}
    END`;
    for (let attempt = 0; ; attempt++) {
      try {
        const [res] = await this.pool.query(sql, params);
        const sets = res as unknown as unknown[][];
        this.stats.batches++;
        this.stats.claims += ordered.length;
        let at = 0;
        for (const c of ordered) {
          const epoch = Number((sets[at++]![0] as { epoch: number | string }).epoch);
          const rows = c.read ? sets[at++]! : [];
          // Nothing claimed: the entity did not exist. What the read found (a row made since
          // the check, by someone else) was read unfenced, so it is not handed on.
          if (c.exists && epoch === 0) c.resolve({ fence: undefined, rows: [] });
          else if (!Number.isSafeInteger(epoch) || epoch < 1) c.reject(new Error(`claiming an epoch for ${c.type}:${c.id} returned ${String(epoch)}`));
          else c.resolve({ fence: { type: c.type, id: c.id, epoch }, rows });
        }
        return;
      } catch (err) {
        const typed = writeFailure(err, `claiming ${batch.length} epoch(s)`);
        // A lock wait or deadlock rolled the batch back: each claim goes again on its own, so
        // the one that waits (a hand-off in progress) holds up and fails nobody else.
        if (typed instanceof RetryableWriteError && bounded) return void (await Promise.all(batch.map((c) => this.run([c]))));
        if (typed instanceof RetryableWriteError && attempt < this.retries) continue;
        for (const c of batch) c.reject(typed);
        return;
      }
    }
  }
}

/**
 * Deletes the epoch rows of `type` entities that are gone for good (sessions deleted past
 * their expiry), returning how many went. First the floor of retired epochs is raised to
 * the highest of theirs and committed; then the rows go, each only if its epoch is at or
 * under that floor. So an epoch ever held for an entity stays under any epoch claimed for
 * it later: a claim that finds no row starts above the floor (see `floorPlusOne`), and an
 * owner paused since before the retirement, still holding an old epoch, fails its guard
 * against every later claim as it would have against the row. A row claimed again between
 * the two steps may go too: its new owner's next write is fenced and the activation after
 * it claims above the floor; nothing is lost but a retry.
 */
export async function retireEpochs(pool: Pool, type: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  // The DELETE at READ COMMITTED: point deletes that lock no gaps, so claims of other
  // entities never wait for it.
  const [results] = await pool.query(
    `BEGIN NOT ATOMIC
       DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
       START TRANSACTION;
       UPDATE entity_epoch_floor SET floor = GREATEST(floor, (SELECT COALESCE(MAX(epoch), 0) FROM entity_epochs WHERE entity_type = ? AND entity_id IN (?)))
         WHERE id = 1;
       COMMIT;
       SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
       START TRANSACTION;
       DELETE FROM entity_epochs WHERE entity_type = ? AND entity_id IN (?) AND epoch <= (SELECT floor FROM entity_epoch_floor WHERE id = 1);
       SELECT ROW_COUNT() AS retired;
       COMMIT;
     END`,
    [type, ids, type, ids],
  );
  const sets = results as unknown as { retired: number | string }[][];
  return Number(sets[0]?.[0]?.retired ?? 0);
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

/**
 * `guard` for several fences in one statement: fails with `fenced` unless every one still
 * holds, taking the same shared locks. It cannot say which failed; a journal batch that
 * fails it goes again with each writer's own guard (journal.ts), which does.
 */
export function guardAll(fences: readonly Fence[]): Statement {
  return {
    sql: `IF (SELECT COUNT(*) FROM entity_epochs WHERE (entity_type, entity_id, epoch) IN (${fences.map(() => '(?, ?, ?)').join(', ')}) LOCK IN SHARE MODE) <> ?
      THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${fencedSignal}'; END IF;`,
    params: [...fences.flatMap((f) => [f.type, f.id, f.epoch]), fences.length],
  };
}

/**
 * The claim of an entity's FIRST epoch made by its first write instead of a transaction of
 * its own: put it first in the write that brings the entity into being (a new order's row).
 * It inserts epoch 1 for `type:id`, and fails the write with `fenced` when the row exists:
 * another activation claimed the entity first (and may have written it), so this one must
 * claim properly (claimEpoch, then read) before it acts. When it succeeds, the writer holds
 * epoch 1 exactly as if claimEpoch had given it, and guards its later writes with
 * `guard({ type, id, epoch: 1 })`. Its insert holds the row's lock to the end of the write,
 * so a concurrent claim waits for it and then loads what it wrote, as after any guard.
 * Only for ids that nobody can have used yet (a gateway's freshly minted order id), where
 * the claim's own round trip and the read after it could only ever find nothing.
 */
export function claimFirstEpoch(type: string, id: string): Statement {
  return {
    sql: `INSERT IGNORE INTO entity_epochs (entity_type, entity_id, epoch) VALUES (?, ?, 1);
      IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${fencedSignal}'; END IF;`,
    params: [type, id],
  };
}

