// bench:sql-shapes — MariaDB's CPU per fenced write, by the shape of the SQL that carries it.
// Every entity write here is an anonymous compound statement (BEGIN NOT ATOMIC … END: an
// epoch guard, the rows, a version check, COMMIT), which MariaDB compiles on every call; a
// whole-machine profile of a flash sale showed its parser and stored-program compiler
// (MYSQLparse, LEX::LEX, sp_head::backpatch, …) as about a third of mariadbd's own time.
// MariaDB also spends 40-60 µs on each statement whatever its rows, so what the node journal
// sends matters as much: several writes in one transaction, one after another, or merged
// into one statement of each kind for all of them (stores/mysql/journal.ts `Merge`).
// This measures one small write five ways, side by side in one run:
//   compound   one write per compound statement (the baseline)
//   procedure  the same body as a stored procedure, compiled once per connection
//   plain      the statements as multi-statement text, the checks left to the client
//   together   8 writes in one compound transaction, each with its own statements
//   merged     8 writes in one compound transaction: one guard, one insert, one update
//   npm run bench:sql-shapes -- [--writes 4000] [--json]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPool, dropDatabase, withDatabase, type Pool } from '../stores/mysql/index.ts';
import { defaultMysqlUrl } from '../app/config.ts';
import { saveResult } from './support/results.ts';

const { values } = parseArgs({ options: { writes: { type: 'string', default: '4000' }, json: { type: 'boolean', default: false } } });
const writes = Number(values.writes);
if (!Number.isInteger(writes) || writes < 100) {
  process.stderr.write('usage: bench/sql-shapes.ts [--writes N ≥ 100] [--json]\n');
  process.exit(2);
}

/** mariadbd's CPU seconds so far, when it runs on this machine. */
function mariadbCpu(): number | undefined {
  try {
    const pid = execFileSync('pgrep', ['-x', 'mariadbd'], { encoding: 'utf8' }).trim().split('\n')[0];
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const url = withDatabase(process.env.MYSQL_URL || defaultMysqlUrl, `sqlshapes_${randomBytes(3).toString('hex')}`);
const admin = createPool(withDatabase(url, ''), { connectionLimit: 1 });
await admin.query(`CREATE DATABASE IF NOT EXISTS \`${new URL(url).pathname.slice(1)}\``);
await admin.end();
const pool: Pool = createPool(url, { connectionLimit: 8 });
const entities = Array.from({ length: 64 }, (_, i) => `e${i}`);
const body = JSON.stringify({ status: 'paid', lines: [{ sku: 'SKU-00001', qty: 1, price: 1999 }], detail: 'x'.repeat(200) });

/** One write's statements: its guard, its row, its version check. */
const writeStatements = (id: string, epoch: string, version: string, json: string) => `
  IF NOT EXISTS (SELECT 1 FROM epochs WHERE id = ${id} AND epoch = ${epoch} LOCK IN SHARE MODE) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced'; END IF;
  INSERT INTO entity_rows (id, seq, body) VALUES (${id}, ${version} + 1, ${json});
  UPDATE heads SET version = version + 1 WHERE id = ${id} AND version = ${version};
  IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'head_fenced'; END IF;`;

const transaction = (statements: string) => `
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  ${statements}
  COMMIT;`;

const fencedBody = (id: string, epoch: string, version: string, json: string) => transaction(writeStatements(id, epoch, version, json));

/** Several writes as one statement of each kind, failing as a whole when any one would fail. */
function mergedStatements(items: Item[]): { sql: string; params: unknown[] } {
  const tuples = (n: number, tuple: string) => Array.from({ length: n }, () => tuple).join(', ');
  return {
    sql: `IF (SELECT COUNT(*) FROM epochs WHERE (id, epoch) IN (${tuples(items.length, '(?, ?)')}) LOCK IN SHARE MODE) <> ${items.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fenced'; END IF;
      INSERT INTO entity_rows (id, seq, body) VALUES ${tuples(items.length, '(?, ?, ?)')};
      UPDATE heads SET version = version + 1 WHERE (id, version) IN (${tuples(items.length, '(?, ?)')});
      IF ROW_COUNT() <> ${items.length} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'head_fenced'; END IF;`,
    params: [...items.flatMap((i) => [i.id, 1]), ...items.flatMap((i) => [i.id, i.version + 1, body]), ...items.flatMap((i) => [i.id, i.version])],
  };
}

interface Item { id: string; version: number }
interface Shape { perCall: number; run(items: Item[]): Promise<unknown> }

try {
  await pool.query('CREATE TABLE epochs (id VARCHAR(64) PRIMARY KEY, epoch INT NOT NULL)');
  await pool.query('CREATE TABLE heads (id VARCHAR(64) PRIMARY KEY, version INT NOT NULL)');
  await pool.query('CREATE TABLE entity_rows (id VARCHAR(64), seq INT, body JSON, PRIMARY KEY (id, seq))');
  await pool.query(`CREATE PROCEDURE fenced_write(IN p_id VARCHAR(64), IN p_epoch INT, IN p_version INT, IN p_body JSON) BEGIN ${fencedBody('p_id', 'p_epoch', 'p_version', 'p_body')} END`);
  for (const id of entities) {
    await pool.query('INSERT INTO epochs VALUES (?, 1)', [id]);
    await pool.query('INSERT INTO heads VALUES (?, 0)', [id]);
  }
  const versions = new Map(entities.map((id) => [id, 0]));
  const one = (run: (i: Item) => Promise<unknown>): Shape => ({ perCall: 1, run: (items) => run(items[0]!) });
  const shapes: Record<string, Shape> = {
    compound: one(({ id, version: v }) => pool.query(`BEGIN NOT ATOMIC ${fencedBody('?', '?', '?', '?')} END`, [id, 1, id, v, body, id, v])),
    procedure: one(({ id, version: v }) => pool.query('CALL fenced_write(?, ?, ?, ?)', [id, 1, v, body])),
    plain: one(({ id, version: v }) => pool.query(`START TRANSACTION;
      SELECT 1 FROM epochs WHERE id = ? AND epoch = ? LOCK IN SHARE MODE;
      INSERT INTO entity_rows (id, seq, body) VALUES (?, ?, ?);
      UPDATE heads SET version = version + 1 WHERE id = ? AND version = ?;
      COMMIT;`, [id, 1, id, v + 1, body, id, v])),
    together: {
      perCall: 8,
      run: (items) => pool.query(`BEGIN NOT ATOMIC ${transaction(items.map(() => writeStatements('?', '?', '?', '?')).join('\n'))} END`,
        items.flatMap(({ id, version: v }) => [id, 1, id, v, body, id, v])),
    },
    merged: {
      perCall: 8,
      run: (items) => {
        const { sql, params } = mergedStatements(items);
        return pool.query(`BEGIN NOT ATOMIC ${transaction(sql)} END`, params);
      },
    },
  };
  const writers = 8;
  const rows: Array<{ shape: string; round: number; writesPerCall: number; perSec: number; mariadbUsPerWrite: number | null }> = [];
  for (const round of [1, 2]) {
    for (const [shape, { perCall, run }] of Object.entries(shapes)) {
      const cpu0 = mariadbCpu();
      const started = performance.now();
      let next = 0;
      // Eight writers, each with entities of its own (so no two calls in flight write one
      // entity), taking `perCall` of the writes left at a time.
      await Promise.all(Array.from({ length: writers }, async (_, w) => {
        const own = entities.filter((_, i) => i % writers === w);
        let turn = 0;
        while (next < writes) {
          const n = Math.min(perCall, writes - next);
          next += n;
          const items = Array.from({ length: n }, (_, j) => {
            const id = own[(turn + j) % own.length]!;
            const version = versions.get(id)!;
            versions.set(id, version + 1);
            return { id, version };
          });
          turn += n;
          await run(items);
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      const cpu1 = mariadbCpu();
      rows.push({ shape, round, writesPerCall: perCall, perSec: Math.round(writes / seconds), mariadbUsPerWrite: cpu0 === undefined || cpu1 === undefined ? null : Math.round(((cpu1 - cpu0) * 1e6) / writes) });
      process.stderr.write(`[sql-shapes] round ${round} ${shape}: ${rows.at(-1)!.perSec} writes/s\n`);
    }
  }
  const last = rows.filter((r) => r.round === 2);
  const base = last.find((r) => r.shape === 'compound')!;
  process.stdout.write('\nshape        writes/call  writes/s  mariadbd µs CPU/write  × compound (CPU)\n');
  for (const r of last) {
    const ratio = r.mariadbUsPerWrite && base.mariadbUsPerWrite ? (r.mariadbUsPerWrite / base.mariadbUsPerWrite).toFixed(2) : 'n/a';
    process.stdout.write(`${r.shape.padEnd(11)} ${String(r.writesPerCall).padStart(12)}  ${String(r.perSec).padStart(8)}  ${String(r.mariadbUsPerWrite ?? 'n/a').padStart(21)}  ${ratio.padStart(16)}\n`);
  }
  process.stdout.write('(round 2 of 2; round 1 warms the server. mariadbd CPU includes anything else it served meanwhile.)\n');
  const result = { bench: 'sql-shapes', writes, rows };
  saveResult('sql-shapes', result);
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
  await dropDatabase(url);
}
