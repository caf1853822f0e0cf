// Turns a scenario's samples and verdict into one row: failed requests by kind, and the
// time from the fault until every request succeeded again.
import { failures, type LoadResult, type Outcome } from './load.ts';
import type { Verdict } from './verify.ts';

export interface ScenarioResult {
  scenario: string;
  fault: string;
  requests: number;
  byKind: Record<Outcome, number>;
  /** From the fault to the end of the last failed request; 0 when nothing failed. */
  recoveryMs: number;
  /** No request failed in the last `cleanTailMs` of the run. */
  recovered: boolean;
  paidAcknowledged: number;
  verdict: Verdict;
  pass: boolean;
  firstErrors: string[];
  refusals: Record<string, number>;
  /** Failed requests by what was asked and how it failed. */
  failedBy: Record<string, number>;
  /** From the end of the fault (server or process back) to the end of the last failed request. */
  afterRestoreMs: number;
}

export const cleanTailMs = 3000;

export function summarise(scenario: string, fault: string, load: LoadResult, faultAt: number, restoredAt: number, endAt: number, verdict: Verdict): ScenarioResult {
  const byKind: Record<Outcome, number> = { ok: 0, refused: 0, unavailable503: 0, timeout503: 0, error5xx: 0, hang: 0, connError: 0 };
  let lastFailure = 0;
  const failedBy: Record<string, number> = {};
  for (const s of load.samples) {
    byKind[s.outcome]++;
    if (!failures.includes(s.outcome)) continue;
    if (s.end > lastFailure) lastFailure = s.end;
    const key = `${s.what} ${s.outcome}`;
    failedBy[key] = (failedBy[key] ?? 0) + 1;
  }
  const recoveryMs = lastFailure > faultAt ? lastFailure - faultAt : 0;
  const recovered = lastFailure < endAt - cleanTailMs;
  // Losing a dependency must never be a 500 or a request left hanging: clear 503s only.
  const pass = verdict.oversold === 0 && verdict.ackMissing === 0 && verdict.doubleCharges === 0 && verdict.duplicateOrders === 0
    && verdict.stranded === 0 && recovered && byKind.error5xx === 0 && byKind.hang === 0;
  return {
    scenario, fault, requests: load.samples.length, byKind, recoveryMs, recovered, paidAcknowledged: load.paid.size,
    verdict, pass, firstErrors: load.firstErrors, refusals: load.refusals, failedBy,
    afterRestoreMs: lastFailure > restoredAt ? lastFailure - restoredAt : 0,
  };
}

const columns: [string, number, (r: ScenarioResult) => string | number][] = [
  ['scenario', 16, (r) => r.scenario],
  ['requests', 8, (r) => r.requests],
  ['paid', 5, (r) => r.paidAcknowledged],
  ['oversold', 8, (r) => r.verdict.oversold],
  ['ack lost', 8, (r) => r.verdict.ackMissing],
  ['2× charge', 9, (r) => r.verdict.doubleCharges + r.verdict.duplicateOrders],
  ['stranded', 8, (r) => r.verdict.stranded],
  ['503 clear', 9, (r) => r.byKind.unavailable503],
  ['503 unknown', 11, (r) => r.byKind.timeout503],
  ['500', 5, (r) => r.byKind.error5xx],
  ['hung', 4, (r) => r.byKind.hang],
  ['conn err', 8, (r) => r.byKind.connError],
  ['recovery s', 10, (r) => (r.recovered ? (r.recoveryMs / 1000).toFixed(1) : 'never')],
  ['after back s', 12, (r) => (r.recovered ? (r.afterRestoreMs / 1000).toFixed(1) : 'never')],
  ['result', 6, (r) => (r.pass ? 'pass' : 'FAIL')],
];

export function table(results: ScenarioResult[]): string {
  const head = columns.map(([name, w]) => name.padStart(w)).join('  ');
  const lines = results.map((r) => columns.map(([, w, f]) => String(f(r)).padStart(w)).join('  '));
  return [head, ...lines].join('\n');
}
