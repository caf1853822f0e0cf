// What every fenced or version-conditional write reports when another writer got there
// first, and the one way this project sends several statements as one transaction in one
// round trip (with the fence of epochs.ts as its first statement).
import type { Pool } from './pool.ts';
import { StoreUnavailableError } from './errors.ts';

/** The row's version or the entity's epoch is not the one the writer holds: its state is stale; reload. */
export class FencedWriteError extends Error {
  override name = 'FencedWriteError';
  readonly code = 'fenced';
  readonly retryable = true;
  /** The guard's tag (epochs.ts `guard(fence, tag)`), when the failed check had one. */
  readonly tag: string | undefined;
  constructor(what: string, options?: { cause?: unknown; tag?: string }) {
    super(`${what} was changed by another writer`, options);
    this.tag = options?.tag;
  }
}

/**
 * The transaction was rolled back by the database (deadlock, lock wait) and may simply be
 * retried: nothing was applied, so to a client it is `unavailable` (503, retry). As a plain
 * Error it reached clients as `500 internal` when a batch lost its retries to deadlocks
 * (9 pays of a 100,000-attempt sale).
 */
export class RetryableWriteError extends StoreUnavailableError {
  override name = 'RetryableWriteError';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what}: transaction rolled back by the database; retry`, options);
  }
}

/** One statement of a compound transaction and its placeholders' values. */
export interface Statement {
  sql: string;
  params?: unknown[];
}

/**
 * Statements as one transaction in one round trip (a MariaDB anonymous compound
 * statement): any error rolls the whole back and is raised again. A statement may SIGNAL
 * SQLSTATE '45000' with a message the caller maps, for example a failed version check.
 * `release` (no placeholders: the handler comes first in the text) runs after the COMMIT
 * and after the ROLLBACK of a failure alike, for what the transaction does not undo: a
 * named lock (GET_LOCK) taken by a statement, freed inside the server whatever the client
 * does.
 */
export function atomically(statements: string[], release: string[] = []): string {
  const after = release.join('\n');
  return `BEGIN NOT ATOMIC
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; ${after} RESIGNAL; END;
    START TRANSACTION;
    ${statements.join('\n')}
    COMMIT;
    ${after}
  END`;
}

/**
 * Whether `err` is a failed fence or version check: the guard's `fenced[:tag]` signal, or
 * a version check signalling `<something>_fenced`. Returns the tag ('' when untagged).
 */
export function fencedTag(err: unknown): string | undefined {
  const message = (err as { sqlMessage?: unknown }).sqlMessage;
  if (typeof message !== 'string') return undefined;
  if (message === 'fenced' || message.endsWith('_fenced')) return '';
  if (message.startsWith('fenced:')) return message.slice('fenced:'.length);
  return undefined;
}

/**
 * Runs `statements` as one transaction (see `atomically`). A failed fence or version check
 * becomes FencedWriteError (nothing applied), a deadlock or lock wait RetryableWriteError
 * (nothing applied); connection failures arrive typed from the pool (errors.ts).
 *
 * @example
 * await writeAtomically(pool, [guard(fence), { sql: 'UPDATE t SET v = ? WHERE id = ?', params: [v, id] }], `thing ${id}`);
 */
export async function writeAtomically(pool: Pool, statements: Statement[], what: string): Promise<void> {
  const params = statements.flatMap((s) => s.params ?? []);
  try {
    await pool.query(atomically(statements.map((s) => s.sql)), params);
  } catch (err) {
    throw writeFailure(err, what);
  }
}

/**
 * `writeAtomically`, then `result` (a SELECT of the session variables the statements set)
 * in the same round trip, on the same connection: its first row. For a write whose outcome
 * is decided inside the transaction (a cap reached, a row not there) and must come back
 * without a second, interactive step. `release`: as `atomically`'s.
 */
export async function writeAtomicallyThenRead<R>(pool: Pool, statements: Statement[], result: string, what: string, release: string[] = []): Promise<R> {
  const params = statements.flatMap((s) => s.params ?? []);
  try {
    const [sets] = await pool.query(`${atomically(statements.map((s) => s.sql), release)};\n${result}`, params);
    // One result per statement of the text: the block's OK packet, then the SELECT's rows.
    const all = sets as unknown as unknown[];
    return (all[all.length - 1] as R[])[0]!;
  } catch (err) {
    throw writeFailure(err, what);
  }
}

/** The typed form of a compound write's failure (what `writeAtomically` throws). */
export function writeFailure(err: unknown, what: string): unknown {
  const tag = fencedTag(err);
  if (tag !== undefined) return new FencedWriteError(what, { cause: err, ...(tag ? { tag } : {}) });
  const errno = (err as { errno?: unknown }).errno;
  if (errno === 1213 || errno === 1205) return new RetryableWriteError(what, { cause: err });
  return err;
}
