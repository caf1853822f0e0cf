// `node --import tsx app/migrate.ts`: creates the database named by MYSQL_URL and applies
// the pending migrations. Run by the bootstrap before start and benches.
//
// Every failure is one line naming what to fix, and a non-zero exit: 2 for a setting
// (MYSQL_URL itself), 1 for a MariaDB that does not answer or refuses. It printed Node's
// stack trace instead, and a refused login gave no message at all (mysql2's is empty).
import { loadConfig } from './config.ts';
import { databaseOf, migrate } from '../stores/mysql/index.ts';

function fail(line: string, exitCode: number): never {
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}

let url: string;
try {
  url = loadConfig().mysqlUrl;
  databaseOf(url);
} catch (err) {
  // databaseOf's own message names MYSQL_URL already.
  fail(`configuration error: ${(err as Error).message}`, 2);
}
const server = new URL(url);
const where = `MariaDB at ${server.host}, database ${databaseOf(url)} (MYSQL_URL)`;
try {
  const applied = await migrate(url);
  if (applied.length > 0) process.stderr.write(`[migrate] applied ${applied.join(', ')}\n`);
} catch (err) {
  const e = err as { message?: string; code?: string; sqlMessage?: string };
  const reason = e.sqlMessage || e.message || e.code || String(err);
  fail(`migrate: ${where}: ${reason}${e.code && !reason.includes(e.code) ? ` (${e.code})` : ''}`, 1);
}
