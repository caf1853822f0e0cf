// What a MariaDB call can fail with, typed so callers (and, through the cluster's wire
// format, HTTP clients) can tell "nothing was applied, retry" from "it may have been
// applied". They are cluster errors on purpose: an actor or service that lets one through
// sends `unavailable` / `outcome_unknown` over the wire, never an anonymous `internal`.
import { ClusterError, UnavailableError } from '../../cluster/index.ts';

/** The store could not be reached, or failed before the statement could apply: nothing was written. Retry. */
export class StoreUnavailableError extends UnavailableError {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A write was sent and no answer came (timeout, connection lost): it may or may not have
 * committed. Only an idempotent write may be sent again; anything else must read the
 * store's state first.
 */
export class StoreOutcomeUnknownError extends ClusterError {
  override name = 'StoreOutcomeUnknownError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('outcome_unknown', message, { retryable: true, ...(options?.cause === undefined ? {} : { cause: options.cause }) });
  }
}

/** mysql2 / socket codes that mean the connection, not the statement, failed. */
const connectionCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED',
]);

/** Server errors that say "not done, try later": shutting down, too many connections, read-only. */
const notAppliedErrnos = new Set([
  1040, // ER_CON_COUNT_ERROR
  1053, // ER_SERVER_SHUTDOWN
  1927, // ER_CONNECTION_KILLED
  1290, // ER_OPTION_PREVENTS_STATEMENT (--read-only)
  1836, // ER_READ_ONLY_MODE
  // A database this process cannot use (a MYSQL_URL naming one missing, wrong credentials,
  // a schema not migrated): nothing was applied. These reached clients as a 500 `internal`.
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1146, // ER_NO_SUCH_TABLE
]);

/**
 * ER_LOCK_DEADLOCK: InnoDB chose this transaction as a deadlock's victim and rolled it
 * back whole. In an interactive transaction it reached clients as a 500 `internal` (two
 * deletes of one user's addresses at once, two admins changing delivery clusters).
 */
const deadlockErrno = 1213;

/** Whether `err` is a lost or refused connection rather than an answer from the server. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; fatal?: unknown; message?: unknown };
  if (typeof e.code === 'string' && connectionCodes.has(e.code)) return true;
  if (e.fatal === true) return true;
  return typeof e.message === 'string' && /closed state|Pool is closed/i.test(e.message);
}

/**
 * Turns a failure of one statement into a typed error. `sent` says whether the statement
 * reached the wire, `writes` whether it can change anything: a read, or a statement never
 * sent, applied nothing; a write that lost its answer may have.
 */
export function classifyStoreError(err: unknown, how: { sent: boolean; writes: boolean }): unknown {
  if (err instanceof ClusterError) return err;
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === 'number' && notAppliedErrnos.has(errno)) {
    // The server's words stay in `cause` (logs, the node's wait): they name users, hosts and
    // tables, and this message reaches anonymous clients.
    return new StoreUnavailableError('the database cannot take this now; retry shortly', { cause: err });
  }
  // Inside an explicit transaction (or a read) nothing was applied. A write sent on its own
  // is left as it is: the compound writes (writes.ts) read its errno to retry it themselves.
  if (errno === deadlockErrno && !how.writes) {
    return new StoreUnavailableError('the database refused this as a lock conflict; nothing was done; retry shortly', { cause: err });
  }
  if (!isConnectionError(err)) return err;
  if (!how.sent || !how.writes) return new StoreUnavailableError('the database is not reachable; retry shortly', { cause: err });
  return new StoreOutcomeUnknownError('the database connection was lost before the write was acknowledged; it may or may not have been applied', { cause: err });
}
