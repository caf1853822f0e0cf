// Turns sale runs into the numbers the bench reports: the stdout table, the actor's
// throughput ratios and the machine-readable JSON line.
import { availableParallelism } from 'node:os';
import type { SaleRun } from './run-sale.ts';
import { Latencies } from '../support/histogram.ts';

export interface StrategyResult {
  ok: number;
  rejected: number;
  errors: number;
  oversold: number;
  /** Acknowledged reservations per second of sale (successes only). */
  perSec: number;
  attemptsPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  maxMs: number;
  seconds: number;
  durable: boolean;
  durableCount?: number;
  /** Set for durable strategies: the system of record holds exactly the acknowledged sales. */
  durableMatches?: boolean;
  durableError?: string;
  firstError?: string;
  /** CPU µs per attempt (sold or refused) of each process over the sale, with a total. */
  cpuUsPerAttempt?: Record<string, number>;
  /**
   * Cores the processes kept busy on average (CPU seconds ÷ seconds), and the attempts a
   * second this machine's cores would allow at this CPU per attempt if all were busy. A run
   * far below its ceiling waits (a lockstep, a lock, the disk) rather than computes.
   */
  coresBusy?: number;
  attemptsPerSecCeiling?: number;
  /** The cores the ceiling counts. */
  cores?: number;
}

export interface StrategyFailure {
  failed: true;
  error: string;
}

export type Outcome = StrategyResult | StrategyFailure;

const isFailure = (o: Outcome): o is StrategyFailure => 'failed' in o;

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** Sets `cpuUsPerAttempt` and what follows from it (coresBusy, attemptsPerSecCeiling). */
export function withCpu(result: StrategyResult, cpuUsPerAttempt: Record<string, number>, cores = availableParallelism()): void {
  result.cpuUsPerAttempt = cpuUsPerAttempt;
  const total = cpuUsPerAttempt.total ?? 0;
  if (total <= 0) return;
  result.cores = cores;
  result.coresBusy = round((total * result.attemptsPerSec) / 1e6, 2);
  result.attemptsPerSecCeiling = Math.round((cores * 1e6) / total);
}

export function summarize(run: SaleRun, stock: number, durable: boolean): StrategyResult {
  const h = new Latencies();
  for (const ms of run.latencies) h.record(ms);
  const lat = h.summary();
  const result: StrategyResult = {
    ok: run.succeeded,
    rejected: run.rejected,
    errors: run.errors,
    oversold: Math.max(0, run.succeeded - stock),
    perSec: round(run.succeeded / run.seconds, 1),
    attemptsPerSec: round(run.latencies.length / run.seconds, 1),
    p50: lat.p50,
    p99: lat.p99,
    p999: lat.p999,
    maxMs: lat.max,
    seconds: round(run.seconds, 3),
    durable,
  };
  if (run.firstError !== undefined) result.firstError = run.firstError;
  return result;
}

/** True when the run shows a correctness problem: oversold, a durable mismatch, or no result at all. */
export function isBad(o: Outcome): boolean {
  if (isFailure(o)) return true;
  return o.oversold > 0 || o.durableMatches === false;
}

export const baselines = ['mysql-for-update', 'mysql-conditional', 'redis-lua', 'redis-lua-fsync'] as const;

export function ratios(outcomes: Map<string, Outcome>): Record<string, number | null> {
  const actor = outcomes.get('actor');
  if (actor === undefined || isFailure(actor)) return {};
  const out: Record<string, number | null> = {};
  for (const name of baselines) {
    const base = outcomes.get(name);
    out[`actor/${name}`] = base === undefined || isFailure(base) || base.perSec === 0 ? null : round(actor.perSec / base.perSec, 2);
  }
  return out;
}

function durableCell(o: StrategyResult): string {
  if (!o.durable) return 'n/a (not durable)';
  if (o.durableError !== undefined) return `FAILED: ${o.durableError}`;
  return o.durableMatches ? `ok (${o.durableCount} = acked)` : `MISMATCH: ${o.durableCount} stored, ${o.ok} acked`;
}

export function table(outcomes: Map<string, Outcome>): string {
  const header = ['strategy', 'succeeded', 'rejected', 'errors', 'oversold', 'reservations/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'durable check'];
  const rows: string[][] = [];
  for (const [name, o] of outcomes) {
    if (isFailure(o)) rows.push([name, `FAILED: ${o.error}`]);
    else {
      rows.push([
        name, String(o.ok), String(o.rejected), String(o.errors), String(o.oversold),
        o.perSec.toFixed(0), o.p50.toFixed(2), o.p99.toFixed(2), o.p999.toFixed(2), o.maxMs.toFixed(2), durableCell(o),
      ]);
    }
  }
  // Failure rows have two cells; their message is left to overflow instead of widening every column.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 2).map((r) => (r[i] ?? '').length)));
  const numeric = (i: number): boolean => i > 0 && i < header.length - 1;
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric(i) && cells.length > 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const cpuLines = [...outcomes].flatMap(([name, o]) => (isFailure(o) || !o.cpuUsPerAttempt ? [] : [`  ${name.padEnd(18)} ${formatUs(o.cpuUsPerAttempt)}`]));
  if (cpuLines.length > 0) out.push('', 'CPU µs per attempt, by process (servers shared with other users of this machine count their load too):', ...cpuLines);
  const busyLines = [...outcomes].flatMap(([name, o]) => (isFailure(o) || o.coresBusy === undefined || o.attemptsPerSecCeiling === undefined ? [] : [
    `  ${name.padEnd(18)} ${o.coresBusy.toFixed(2)} of ${o.cores} cores busy; ${Math.round(o.attemptsPerSec).toLocaleString('en')} attempts/s of a ceiling of ${o.attemptsPerSecCeiling.toLocaleString('en')} at this CPU per attempt`,
  ]));
  if (busyLines.length > 0) out.push('', 'Busy or waiting (a run far under its ceiling waits: a lockstep, a lock, the disk):', ...busyLines);
  const r = ratios(outcomes);
  const ratioLines = Object.entries(r).map(([k, v]) => `  ${k}: ${v === null ? 'n/a' : `${v}x`}`);
  if (ratioLines.length > 0) out.push('', 'actor throughput (reservations/s) relative to:', ...ratioLines);
  return out.join('\n');
}

/** "node 16.2, bench 12.1, mariadb 6.8 = 37.1" (processes under 0.05 µs left out). */
function formatUs(per: Record<string, number>): string {
  const parts = Object.entries(per).filter(([k, v]) => k !== 'total' && v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`);
  return `${parts.join(', ')} = ${(per.total ?? 0).toFixed(1)}`;
}

export function json(outcomes: Map<string, Outcome>): string {
  return JSON.stringify({ strategies: Object.fromEntries(outcomes), ratios: ratios(outcomes) });
}
