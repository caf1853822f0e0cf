// Private NATS, Redis and MariaDB servers for fault tests and the chaos bench: each on a
// port of its own with its data in a temp dir, so killing and restarting one never touches
// the machine's shared servers. Every server started here is killed on process exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateServer {
  kind: 'nats' | 'redis' | 'mariadb';
  port: number;
  url: string;
  dir: string;
  /** Whether its process is running now. */
  running(): boolean;
  /** Sends a signal (default SIGKILL) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the server hangs with its connections open, as behind a network that drops packets. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts it again on the same port with the same data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it and removes its data. */
  destroy(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous on purpose: the last thing a process does, even on an uncaught error.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Resolves once something accepts TCP connections on the port; rejects after `ms`. */
export async function waitForPort(port: number, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function server(kind: PrivateServer['kind'], port: number, url: string, dir: string, command: () => [string, string[]], ready: () => Promise<void>): PrivateServer {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const self: PrivateServer = {
    kind, port, url, dir,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async kill(signal = 'SIGKILL') {
      if (self.running()) child!.kill(signal);
      await exited;
    },
    pause: () => void (self.running() && child!.kill('SIGSTOP')),
    resume: () => void (self.running() && child!.kill('SIGCONT')),
    async start() {
      const [cmd, args] = command();
      output = '';
      const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      live.add(proc);
      hookExit();
      const collect = (d: Buffer) => {
        output = (output + d.toString()).slice(-4000);
      };
      proc.stdout!.on('data', collect);
      proc.stderr!.on('data', collect);
      exited = new Promise((resolve) => proc.once('exit', () => {
        live.delete(proc);
        resolve();
      }));
      try {
        await Promise.race([ready(), exited.then(() => { throw new Error(`${kind} exited at start: ${output}`); })]);
      } catch (err) {
        proc.kill('SIGKILL');
        throw err;
      }
    },
    async destroy() {
      await self.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** nats-server with JetStream, its store in a temp dir. */
export async function startNats(port: number): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), `nats-${port}-`));
  const s = server('nats', port, `nats://127.0.0.1:${port}`, dir,
    () => ['nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]],
    () => waitForPort(port));
  await s.start();
  return s;
}

/** Removes a stopped NATS server's JetStream storage (a restart that lost its state). */
export function wipeNatsStore(s: PrivateServer): void {
  rmSync(join(s.dir, 'jetstream'), { recursive: true, force: true });
}

/**
 * Redis keeping nothing on disk, as the machine's own; or, with `appendfsync`, an
 * append-only file synced as that says (`always`: before each reply, a durable baseline).
 */
export async function startRedis(port: number, opts: { appendfsync?: 'always' | 'everysec' } = {}): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), `redis-${port}-`));
  const persistence = opts.appendfsync ? ['--appendonly', 'yes', '--appendfsync', opts.appendfsync] : ['--appendonly', 'no'];
  const s = server('redis', port, `redis://127.0.0.1:${port}`, dir,
    () => ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir]],
    () => waitForPort(port));
  await s.start();
  return s;
}

/** A MariaDB server initialised in a temp dir (root without a password on 127.0.0.1). */
export async function startMariadb(port: number): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), `mariadb-${port}-`));
  const data = join(dir, 'data');
  const init = spawnSync('mariadb-install-db', [
    '--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root',
  ], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stdout}${init.stderr}`);
  const s = server('mariadb', port, `mysql://root@127.0.0.1:${port}/shop`, dir,
    () => ['mariadbd', [
      '--no-defaults', '--user=root', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`, '--innodb-buffer-pool-size=128M',
      '--skip-log-bin', '--max-connections=500',
    ]],
    () => waitForPort(port, 60_000));
  await s.start();
  return s;
}
