// Drives one strategy through the sale: exactly `concurrency` workers in a closed loop
// pulling buyer ids 0..buyers-1, timing every buy.
import type { Strategy } from './strategy.ts';

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
  const progress = startProgress(strategy.name, buyers, started, () => succeeded + rejected + errors);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, buyers) }, worker));
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return { succeeded, rejected, errors, firstError, seconds, latencies };
}

/**
 * A single self-overwriting line on stderr, once a second, when stderr is a terminal;
 * nothing when it is a file or pipe, where carriage returns would only make a mess.
 */
function startProgress(name: string, buyers: number, started: number, done: () => number): { stop(): void } {
  if (!process.stderr.isTTY) return { stop() {} };
  let lastDone = 0;
  let lastAt = started;
  const timer = setInterval(() => {
    const now = performance.now();
    const count = done();
    const rate = ((count - lastDone) * 1000) / (now - lastAt);
    lastDone = count;
    lastAt = now;
    const pct = ((count / buyers) * 100).toFixed(1);
    process.stderr.write(`\r\x1b[K${name}: ${count}/${buyers} (${pct}%) ${Math.round(rate)} buys/s`);
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[K');
    },
  };
}
