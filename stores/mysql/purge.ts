// Deletes rows past a table's retention a chunk at a time, for the jobs that keep
// append-only tables bounded (the outbox, the inventory's applied commands, sessions).
import type { Logger } from 'pino';
import { periodicSingleton, type Singleton } from '../../cluster/index.ts';
import type { Pool } from './pool.ts';

export interface PurgeOptions {
  /**
   * The table and its condition: `DELETE FROM <from> WHERE <where> ORDER BY <orderBy> LIMIT
   * chunk`. SQL text written in this code, never input: values go in `params`.
   */
  from: string;
  where: string;
  params: unknown[];
  orderBy: string;
  /** Rows per DELETE (default 5,000): short statements, so writers of the table never wait long behind one. */
  chunk?: number;
  /** DELETEs per call at most (default 20); the rest waits for the next call. */
  maxChunks?: number;
  /**
   * What must go before each chunk's rows (the sessions' epoch rows): the chunk's `key`
   * values are selected first and handed to `before`, then those rows are deleted. A call
   * stopped between the two leaves the rows for the next one, never the reverse.
   */
  first?: { key: string; before(keys: string[]): Promise<unknown> };
}

/** How much one call of a retention job deletes at most: `chunk` rows a statement, `maxChunks` statements. */
export type PurgeLimits = Pick<PurgeOptions, 'chunk' | 'maxChunks'>;

/** `limits` with the defaults filled in: 5,000 rows a chunk, 20 chunks a call. */
function purgeLimits(limits: PurgeLimits): Required<PurgeLimits> {
  return { chunk: limits.chunk ?? 5000, maxChunks: limits.maxChunks ?? 20 };
}

/**
 * Deletes matching rows in chunks until fewer than a chunk match or `maxChunks` ran;
 * returns how many went. READ COMMITTED: under REPEATABLE READ a range DELETE also locks
 * the gaps it scans, and a writer's new row landing in one waited for the DELETE to commit
 * (an outbox INSERT behind an open DELETE hit its lock wait timeout; with READ COMMITTED it
 * went through in 13 ms).
 */
export async function purgeInChunks(pool: Pool, opts: PurgeOptions): Promise<number> {
  const { chunk, maxChunks } = purgeLimits(opts);
  let deleted = 0;
  for (let i = 0; i < maxChunks; i++) {
    let matched: number;
    let results: unknown;
    if (opts.first) {
      const { key, before } = opts.first;
      const [rows] = await pool.query(`SELECT ${key} AS k FROM ${opts.from} WHERE ${opts.where} ORDER BY ${opts.orderBy} LIMIT ?`, [...opts.params, chunk]);
      const keys = (rows as { k: string }[]).map((r) => r.k);
      if (keys.length === 0) break;
      await before(keys);
      [results] = await pool.query(
        `SET TRANSACTION ISOLATION LEVEL READ COMMITTED; DELETE FROM ${opts.from} WHERE ${key} IN (?) AND ${opts.where};`,
        [keys, ...opts.params],
      );
      matched = keys.length;
    } else {
      [results] = await pool.query(
        `SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
         DELETE FROM ${opts.from} WHERE ${opts.where} ORDER BY ${opts.orderBy} LIMIT ?;`,
        [...opts.params, chunk],
      );
    }
    const n = ((results as { affectedRows: number }[])[1])!.affectedRows;
    deleted += n;
    if ((opts.first ? matched! : n) < chunk) break;
  }
  return deleted;
}

/**
 * A cluster singleton calling `purge` every `intervalMs`: one node at a time, and a failed
 * round (the database away) is logged and left to the next one.
 */
export function retentionSingleton(name: string, intervalMs: number, log: Logger, purge: () => Promise<number>): Singleton {
  return periodicSingleton(name, intervalMs, async () => {
    try {
      const deleted = await purge();
      if (deleted > 0) log.info({ deleted }, `${name}: rows past retention deleted`);
    } catch (err) {
      log.warn({ err: String(err) }, `${name}: round failed; the next round retries`);
    }
  });
}
