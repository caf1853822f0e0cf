// A private MariaDB server for fault tests: its own data directory (a temp dir), port and
// socket, so it can be killed and restarted without touching the machine's shared server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

export interface PrivateMariadb {
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** kill -9 the server (a crash: nothing is flushed on the way down). */
  crash(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing answers (a silent network drop). */
  pause(): void;
  resume(): void;
  /** Starts it again on the same data directory and port; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

const binary = () => (spawnSync('sh', ['-c', 'command -v mariadbd']).status === 0 ? 'mariadbd' : 'mysqld');

async function answers(port: number): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * A pristine data directory, made once per machine: mariadb-install-db takes over ten
 * seconds on a busy machine, copying its result a fraction of one. `--no-defaults`
 * keeps the machine's my.cnf (user, paths) out of it.
 */
function template(): string {
  const dir = join(tmpdir(), 'shop-test-mariadb-template');
  if (existsSync(join(dir, 'mysql'))) return dir;
  const building = mkdtempSync(join(tmpdir(), 'shop-test-mariadb-build-'));
  const install = spawnSync('mariadb-install-db', [
    '--no-defaults', `--datadir=${building}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db',
  ], { stdio: 'ignore' });
  if (install.status !== 0) throw new Error('mariadb-install-db failed');
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another suite built it first
  }
  return dir;
}

/** Starts a server with fresh data on `port` (use your own range). */
export async function startPrivateMariadb(port: number): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), `mariadb-${port}-`));
  const data = join(dir, 'data');
  cpSync(template(), data, { recursive: true });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    child = spawn(binary(), [
      '--no-defaults', `--datadir=${data}`, '--user=root', '--bind-address=127.0.0.1', `--port=${port}`, `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${join(dir, 'error.log')}`, '--skip-log-bin',
      '--innodb-buffer-pool-size=32M', '--max-connections=200', '--skip-name-resolve',
      // Start fast after a kill: no buffer pool dump to load, no performance schema. Commits
      // still reach the OS on every transaction, which is what survives a process kill.
      '--innodb-buffer-pool-load-at-startup=0', '--innodb-buffer-pool-dump-at-shutdown=0', '--performance-schema=0',
      '--innodb-flush-log-at-trx-commit=2', '--innodb-log-file-size=16M',
    ], { stdio: 'ignore' });
    const c = child;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const until = Date.now() + 30_000;
    while (!(await answers(port))) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`private MariaDB on ${port} did not start (see ${dir}/error.log)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  return {
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async crash() {
      child?.kill('SIGKILL');
      await exited;
    },
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async destroy() {
      child?.kill('SIGCONT');
      child?.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
