// A writer stopped (SIGSTOP) inside its write to MariaDB, as a gateway frozen mid-request
// (a long GC pause, a frozen VM): the test holds a row the writer's `statement` will wait
// on, starts the writer, waits until that statement runs, stops the writer there and lets
// the statement through. What the test checks next is whether the server finished the
// write without the stopped client, or left its locks held for as long as it is stopped.
import type { Pool } from '../../stores/mysql/index.ts';
import { eventually, startProcess, type Proc } from './harness.ts';

export interface StoppedWriter {
  /** The writer process, stopped. */
  writer: Proc;
  /** Resumes and kills the writer, and gives the blocking connection back. */
  end(): Promise<void>;
}

export async function stopWriterInside(pool: Pool, opts: {
  /** The row the writer's statement waits on, inserted (not committed) by the test. */
  hold: [string, unknown[]];
  /** The writer: a script under test/support that says `says` when it starts its write. */
  script: string;
  env: Record<string, string>;
  says: RegExp;
  /** How the waiting statement starts, for the process list (`INSERT INTO addresses`). */
  statement: string;
}): Promise<StoppedWriter> {
  const blocker = await pool.getConnection();
  let writer: Proc | undefined;
  const end = async () => {
    blocker.release();
    if (writer) {
      writer.child.kill('SIGCONT');
      await writer.kill('SIGKILL');
    }
  };
  try {
    await blocker.beginTransaction();
    await blocker.query(opts.hold[0], opts.hold[1]);
    writer = startProcess(opts.script, opts.env);
    await writer.waitFor(opts.says, 60_000);
    await eventually(async () => {
      // The writer's connection running the statement (the process list shows the statement
      // of a compound block being run). Not INNODB_TRX's LOCK WAIT: MariaDB 10.11 did not
      // list a transaction begun inside a compound statement there.
      const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE ?`, [`${opts.statement}%`]);
      return Number((rows as { n: number }[])[0]?.n ?? 0) > 0 || undefined;
    }, 60_000, 50);
    // Past the statement's start, well inside its wait.
    await new Promise((r) => setTimeout(r, 200));
    writer.child.kill('SIGSTOP');
    // Let the statement through; the writer itself stays stopped.
    await blocker.rollback();
    return { writer, end };
  } catch (err) {
    await end();
    throw err;
  }
}
