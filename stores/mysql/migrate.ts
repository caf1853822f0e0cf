// Applies the SQL files in migrations/ in name order, once each, recording them in
// schema_migrations. Creates the database first when it is missing.
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { databaseOf, type Pool, type PoolConnection } from './pool.ts';
import { projectRoot } from '../../app/project-root.ts';

const migrationsDir = join(projectRoot, 'stores', 'mysql', 'migrations');

/** Applies pending migrations; returns the names it applied. */
export async function migrate(url: string): Promise<string[]> {
  const database = databaseOf(url);
  const server = new URL(url);
  server.pathname = '/';
  const conn = await mysql.createConnection({ uri: server.toString(), multipleStatements: true });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.query(`USE \`${database}\``);
    await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name VARCHAR(200) PRIMARY KEY,
      applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    )`);
    const [rows] = await conn.query('SELECT name FROM schema_migrations');
    const done = new Set((rows as { name: string }[]).map((r) => r.name));
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      try {
        await conn.query(await readFile(join(migrationsDir, file), 'utf8'));
      } catch (err) {
        // Which file failed, for the operator who runs `npm run migrate` (the server names only the statement).
        const e = err as { message?: string; sqlMessage?: string };
        e.message = `${file}: ${e.message ?? String(err)}`;
        if (e.sqlMessage) e.sqlMessage = `${file}: ${e.sqlMessage}`;
        throw err;
      }
      await conn.query('INSERT INTO schema_migrations (name) VALUES (?)', [file]);
      applied.push(file);
    }
    return applied;
  } finally {
    await conn.end();
  }
}

/** The release's migration files, read once (readiness probes ask every few seconds). */
let migrationFiles: Promise<string[]> | undefined;

/** Pools whose database was found migrated to this release: migrations only go forward. */
const migrated = new WeakSet<Pool>();

/** Why a database cannot serve this release: `detail` in the server's own words, for logs and operators. */
export interface SchemaProblem { kind: 'unreachable' | 'not_migrated'; detail: string }

/**
 * Why the database behind `pool` cannot serve this release yet (unreachable, missing,
 * never migrated, or a migration of this release not applied), or undefined when it can.
 * Once found migrated, later calls (readiness probes) only see that it answers.
 */
export async function schemaProblem(pool: Pool): Promise<SchemaProblem | undefined> {
  let applied: Set<string>;
  try {
    const [rows] = await pool.query(migrated.has(pool) ? 'SELECT name FROM schema_migrations LIMIT 1' : 'SELECT name FROM schema_migrations');
    if (migrated.has(pool)) return undefined;
    applied = new Set((rows as { name: string }[]).map((r) => r.name));
  } catch (err) {
    // The server's own words ("Unknown database 'shop_typo'"), not the typed error's advice
    // to retry shortly: this is often a setting to change, not a moment to wait.
    const cause = (err as { cause?: unknown }).cause ?? err;
    return { kind: 'unreachable', detail: String((cause as Error).message ?? cause) };
  }
  // Where the SQL files are not shipped (an image with the bundle alone), applied is enough.
  const files = await (migrationFiles ??= readdir(migrationsDir).catch(() => [] as string[]));
  const pending = files.filter((f) => f.endsWith('.sql') && !applied.has(f)).sort();
  if (pending.length === 0) {
    migrated.add(pool);
    return undefined;
  }
  return { kind: 'not_migrated', detail: `migrations not applied: ${pending.join(', ')} (run npm run migrate)` };
}

/**
 * This database's identity (migration 191): the same for every process that uses it. The
 * first to read it writes it, under a named lock, so processes started together (a first
 * deploy) agree on one row instead of deadlocking on the insert or each keeping its own.
 */
export async function databaseIdentity(pool: Pool): Promise<string> {
  const read = async (conn: PoolConnection) => {
    const [rows] = await conn.query('SELECT id FROM database_identity ORDER BY created_at, id LIMIT 1');
    return (rows as { id: string }[])[0]?.id;
  };
  const conn = await pool.getConnection();
  try {
    const found = await read(conn);
    if (found) return found;
    const [locked] = await conn.query("SELECT GET_LOCK('shop.database_identity', 10) AS got");
    if (Number((locked as { got: number | null }[])[0]?.got) !== 1) throw new Error('database_identity: another process held its lock for 10 s');
    try {
      const again = await read(conn);
      if (again) return again;
      const id = randomUUID();
      await conn.query('INSERT INTO database_identity (id) VALUES (?)', [id]);
      return id;
    } finally {
      await conn.query("SELECT RELEASE_LOCK('shop.database_identity')");
    }
  } finally {
    conn.release();
  }
}

/** Drops a database (tests clean up after themselves). */
export async function dropDatabase(url: string): Promise<void> {
  const database = databaseOf(url);
  const server = new URL(url);
  server.pathname = '/';
  const conn = await mysql.createConnection({ uri: server.toString() });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}
