// CPU seconds per process over a bench's measured window: the bench's own process, the
// processes it started, and the servers behind the ports of NATS, MariaDB and Redis
// (found through /proc/net/tcp and the processes' socket descriptors). On a shared
// machine the servers' figures include whatever else uses them at the same time.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const clockTicks = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds, or undefined when it is gone or unreadable. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ip:port in hex; state 0A is LISTEN.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process listening on a local TCP port, when this user may see it. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // the descriptor closed meanwhile
      }
    }
  }
  return undefined;
}

const portOf = (url: string, fallback: number): number => {
  try {
    const p = new URL(url).port;
    return p ? Number(p) : fallback;
  } catch {
    return fallback;
  }
};

/** The shared servers' processes, by the ports their URLs name. */
export function serverPids(urls: { nats: string; mysql: string; redis: string }): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (name: string, port: number) => {
    const pid = pidListeningOn(port);
    if (pid !== undefined) out[name] = pid;
  };
  add('nats', portOf(urls.nats, 4222));
  add('mariadb', portOf(urls.mysql, 3306));
  add('redis', portOf(urls.redis, 6379));
  return out;
}

export interface CpuWindow {
  /** CPU seconds each process spent in the window (the bench itself as "bench"). */
  stop(): Record<string, number>;
}

/** Starts measuring: `stop()` returns each process's CPU seconds since now. */
export function measureCpu(pids: Record<string, number>): CpuWindow {
  const start = new Map<string, number>();
  for (const [name, pid] of Object.entries(pids)) {
    const s = cpuSecondsOf(pid);
    if (s !== undefined) start.set(name, s);
  }
  const self0 = process.cpuUsage();
  return {
    stop() {
      const out: Record<string, number> = {};
      const self = process.cpuUsage(self0);
      out.bench = Math.round((self.user + self.system) / 1000) / 1000;
      for (const [name, pid] of Object.entries(pids)) {
        const s = cpuSecondsOf(pid);
        const s0 = start.get(name);
        if (s !== undefined && s0 !== undefined) out[name] = Math.round((s - s0) * 100) / 100;
      }
      return out;
    },
  };
}

/** CPU milliseconds per unit of work (per order, per request), per process, with a total. */
export function perUnit(cpu: Record<string, number>, units: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, s] of Object.entries(cpu)) {
    const ms = units > 0 ? (s * 1000) / units : 0;
    out[name] = Math.round(ms * 1000) / 1000;
    total += ms;
  }
  out.total = Math.round(total * 1000) / 1000;
  return out;
}

/** "node 1.20 ms, gateway 0.80 ms, … = 3.1 ms" */
export function formatPerUnit(per: Record<string, number>): string {
  const parts = Object.entries(per).filter(([k]) => k !== 'total').sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(3)}`);
  return `${parts.join(', ')} = ${(per.total ?? 0).toFixed(3)} ms`;
}
