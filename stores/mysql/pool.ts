// The MariaDB connection pool (mysql2). One per process; repositories take it.
//
// Every call through it is bounded in time and fails with a typed error (./errors.ts):
// waiting for a connection longer than `acquireTimeoutMs` is `unavailable` (nothing was
// sent); a statement without an answer after `queryTimeoutMs` is `outcome_unknown` if it
// could have written and `unavailable` if it only read. mysql2's own per-query `timeout`
// option only rejects the promise: the connection stays busy with the lost statement and,
// if the socket died silently, never comes back. So the timer here destroys the
// connection, and the pool opens a fresh one for the next caller; that is also how the
// pool recovers by itself from a database restart.
import mysql from 'mysql2/promise';
import { StoreOutcomeUnknownError, StoreUnavailableError, classifyStoreError, isConnectionError } from './errors.ts';

export type Pool = mysql.Pool;
export type PoolConnection = mysql.PoolConnection;

export interface PoolOptions {
  connectionLimit?: number;
  /** Longest wait for one statement's answer (default 10 s). A `{ sql, timeout }` query may ask for more. */
  queryTimeoutMs?: number;
  /** Longest wait for a free or new connection (default 5 s). */
  acquireTimeoutMs?: number;
}

export const defaultQueryTimeoutMs = 10_000;
export const defaultAcquireTimeoutMs = 5_000;

/** Creates a pool for `url` (mysql://user:pass@host:port/db). Connections are made lazily. */
export function createPool(url: string, opts: PoolOptions = {}): Pool {
  const acquireTimeoutMs = opts.acquireTimeoutMs ?? defaultAcquireTimeoutMs;
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: opts.connectionLimit ?? 16,
    // Anonymous compound statements (BEGIN NOT ATOMIC … END) carry a whole group commit
    // in one round trip; they need the multi-statement protocol flag.
    multipleStatements: true,
    supportBigNumbers: true,
    dateStrings: false,
    timezone: 'Z',
    enableKeepAlive: true,
    connectTimeout: acquireTimeoutMs,
    // No stack captured per query: it was ~1% of a node's CPU in the flash sale's profile,
    // and the pool's own errors name the statement.
    trace: false,
    queryFormat: formatOnlyWithValues,
  });
  guardPool(pool, { queryTimeoutMs: opts.queryTimeoutMs ?? defaultQueryTimeoutMs, acquireTimeoutMs });
  return pool;
}

/**
 * mysql2 formats every query, even one without values, and its escaper then scans the
 * whole text for placeholders outside quotes. A batch assembled from statements already
 * formatted (formatSql), such as the inventory's with hundreds of reservation rows, is
 * tens of kilobytes: that scan was about 0.45 ms per batch on the node in the flash sale.
 * A query with values is formatted exactly as mysql2 would.
 */
function formatOnlyWithValues(sql: string, values: unknown, timezone?: string): string {
  if (values === undefined || values === null || (Array.isArray(values) && values.length === 0)) return sql;
  return mysql.format(sql, values as Parameters<typeof mysql.format>[1], false, timezone);
}

/**
 * One statement with its placeholders filled as the pool would fill them (UTC dates), for
 * a long text assembled from pieces: formatting the pieces and sending the whole without
 * values spares mysql2 a scan of all of it.
 */
export function formatSql(sql: string, values: readonly unknown[]): string {
  return formatOnlyWithValues(sql, values, 'Z');
}

interface Limits {
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
}

/** Statements that cannot change anything; a lost answer to one of them means "not applied". */
const readOnly = /^\s*(\(\s*)?(SELECT|SHOW|DESCRIBE|EXPLAIN|START TRANSACTION READ ONLY)\b/i;

type QueryArg = string | { sql: string; timeout?: number };

function sqlOf(q: QueryArg): string {
  return typeof q === 'string' ? q : q.sql;
}

/**
 * Runs `run` on `conn` within `ms`. On timeout, or when the connection itself failed, the
 * connection is destroyed (never handed to the next caller half-used) and the error typed.
 */
function bounded<T>(conn: PoolConnection, run: () => Promise<T>, how: { writes: boolean; what: string }, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      conn.destroy();
      reject(how.writes
        ? new StoreOutcomeUnknownError(`no answer from the database within ${ms} ms to ${how.what}; it may or may not have been applied`)
        : new StoreUnavailableError(`no answer from the database within ${ms} ms; retry shortly`));
    }, ms);
    run().then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (isConnectionError(err)) conn.destroy();
        // A connection already known dead refuses the command before sending it.
        const sent = !/closed state|enqueue after fatal/i.test(String((err as { message?: unknown }).message ?? ''));
        reject(classifyStoreError(err, { sent, writes: how.writes }));
      },
    );
  });
}

/** Waits for a connection at most `ms`; one that arrives later goes straight back. */
function acquire(get: () => Promise<PoolConnection>, ms: number): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new StoreUnavailableError(`no database connection within ${ms} ms; retry shortly`));
    }, ms);
    get().then(
      (conn) => {
        if (timedOut) return conn.release();
        clearTimeout(timer);
        resolve(conn);
      },
      (err: unknown) => {
        if (timedOut) return;
        clearTimeout(timer);
        reject(classifyStoreError(err, { sent: false, writes: false }));
      },
    );
  });
}

/**
 * Bounds one pooled connection's calls. Inside an explicit transaction nothing is durable
 * before COMMIT, so only a lost COMMIT answer is an unknown outcome.
 */
function guardConnection(conn: PoolConnection, limits: Limits): PoolConnection {
  if ((conn as { guarded?: boolean }).guarded) return conn;
  let inTransaction = false;
  const query = conn.query.bind(conn) as (q: QueryArg, values?: unknown) => Promise<unknown>;
  const begin = conn.beginTransaction.bind(conn);
  const commit = conn.commit.bind(conn);
  const rollback = conn.rollback.bind(conn);
  const patch = conn as unknown as Record<string, unknown>;
  patch.query = (q: QueryArg, values?: unknown) => {
    const sql = sqlOf(q);
    const ms = typeof q === 'object' && q.timeout ? q.timeout : limits.queryTimeoutMs;
    return bounded(conn, () => query(q, values), { writes: !inTransaction && !readOnly.test(sql), what: 'a write' }, ms);
  };
  patch.beginTransaction = async () => {
    await bounded(conn, () => begin(), { writes: false, what: 'BEGIN' }, limits.queryTimeoutMs);
    inTransaction = true;
  };
  patch.commit = async () => {
    inTransaction = false;
    await bounded(conn, () => commit(), { writes: true, what: 'COMMIT' }, limits.queryTimeoutMs);
  };
  patch.rollback = async () => {
    inTransaction = false;
    await bounded(conn, () => rollback(), { writes: false, what: 'ROLLBACK' }, limits.queryTimeoutMs);
  };
  patch.guarded = true;
  return conn;
}

/** Replaces the pool's entry points with bounded, typed ones (the instance keeps mysql2's type). */
function guardPool(pool: Pool, limits: Limits): void {
  const get = pool.getConnection.bind(pool);
  const patch = pool as unknown as Record<string, unknown>;
  const getConnection = async () => guardConnection(await acquire(get, limits.acquireTimeoutMs), limits);
  patch.getConnection = getConnection;
  const viaConnection = (method: 'query' | 'execute') => async (q: QueryArg, values?: unknown) => {
    const conn = await getConnection();
    try {
      if (method === 'execute') {
        const execute = conn.execute.bind(conn) as (q: QueryArg, values?: unknown) => Promise<unknown>;
        return await bounded(conn, () => execute(q, values), { writes: !readOnly.test(sqlOf(q)), what: 'a write' }, limits.queryTimeoutMs);
      }
      return await (conn.query as unknown as (q: QueryArg, values?: unknown) => Promise<unknown>)(q, values);
    } finally {
      conn.release();
    }
  };
  patch.query = viaConnection('query');
  patch.execute = viaConnection('execute');
}

/** The database named in a MySQL URL. */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`MYSQL_URL must name a database of letters, digits and _ (got "${name}")`);
  return name;
}

/** The same URL with another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
