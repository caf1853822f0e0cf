// The pool formats a query only when it has values, and formatSql fills one statement for a
// text assembled from pieces (the inventory's batch) that is then sent without values.
// Against the real MariaDB: what is written is what is read back, however it is quoted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSql } from '../stores/mysql/pool.ts';
import { freshDatabase } from './support/harness.ts';

const db = freshDatabase(test, 'poolformat', 2);

const tricky = `it's a \\ back'slash, "quoted", a ? mark, ü € 😀`;

type Row = Record<string, unknown>;

test('statements formatted one by one and sent together without values read back exactly', async () => {
  const sql = [
    formatSql('SELECT ? AS s, ? AS n, ? AS z INTO @fmt_s, @fmt_n, @fmt_z;', [tricky, 42, null]),
    "SELECT @fmt_s AS s, @fmt_n AS n, @fmt_z AS z, '?' AS mark;",
  ].join('\n');
  const [results] = await db.pool.query(sql);
  const rows = (results as unknown[])[1] as Row[];
  assert.equal(rows[0], { s: tricky, n: 42, z: null, mark: '?' });
});

test('the pool fills placeholders when given values, and sends a query without values as written', async () => {
  const [withValues] = await db.pool.query('SELECT ? AS s, ? AS n', [tricky, 7]);
  assert.equal((withValues as Row[])[0], { s: tricky, n: 7 });
  const [asWritten] = await db.pool.query("SELECT '?' AS mark, 'it''s' AS quoted");
  assert.equal((asWritten as Row[])[0], { mark: '?', quoted: "it's" });
  const [emptyValues] = await db.pool.query("SELECT 'a ? b' AS text", []);
  assert.equal((emptyValues as Row[])[0], { text: 'a ? b' });
});

test.run();
