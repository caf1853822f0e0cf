// Drives one strategy through the sale: exactly `concurrency` workers in a closed loop
// pulling buyer ids 0..buyers-1, timing every buy.
import type { Strategy } from './strategy.ts';
import { startProgress } from '../support/progress.ts';

export interface SaleRun {
  succeeded: number;
  rejected: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  /** Latency of every buy in ms, indexed by buyer id. */
  latencies: Float64Array;
}

export async function runSale(strategy: Strategy, buyers: number, concurrency: number): Promise<SaleRun> {
  const latencies = new Float64Array(buyers);
  let next = 0;
  let succeeded = 0;
  let rejected = 0;
  let errors = 0;
  let firstError: string | undefined;

  const worker = async (): Promise<void> => {
    for (let id = next++; id < buyers; id = next++) {
      const t0 = performance.now();
      try {
        if (await strategy.buy(id)) succeeded++;
        else rejected++;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      latencies[id] = performance.now() - t0;
    }
  };

  const started = performance.now();
  const progress = startProgress(strategy.name, buyers, () => succeeded + rejected + errors, 'buys');
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, buyers) }, worker));
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return { succeeded, rejected, errors, firstError, seconds, latencies };
}
