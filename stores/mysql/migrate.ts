// Applies the SQL files in migrations/ in name order, once each, recording them in
// schema_migrations. Creates the database first when it is missing.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { databaseOf } from './pool.ts';
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
      await conn.query(await readFile(join(migrationsDir, file), 'utf8'));
      await conn.query('INSERT INTO schema_migrations (name) VALUES (?)', [file]);
      applied.push(file);
    }
    return applied;
  } finally {
    await conn.end();
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
