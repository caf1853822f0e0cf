// What bench:flash-sale tells a load tester beyond the rates: how busy the cores were, and
// the rate this CPU per attempt would allow with every core busy. Without it, a sale that
// waits (the actor's lockstep) reads the same as one that has run out of CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summarize, table, withCpu } from '../bench/flash-sale/report.ts';

function run(attempts: number, seconds: number) {
  return { succeeded: attempts / 2, rejected: attempts / 2, errors: 0, firstError: undefined, seconds, latencies: new Float64Array(attempts).fill(2) };
}

test('cores busy and the ceiling follow from CPU per attempt and the attempts a second', () => {
  const result = summarize(run(100_000, 2), 50_000, true);
  withCpu(result, { node: 12, mariadb: 8, total: 20 }, 2);
  assert.is(result.attemptsPerSec, 50_000);
  assert.is(result.coresBusy, 1, '20 µs × 50,000 a second is one core');
  assert.is(result.attemptsPerSecCeiling, 100_000, 'two cores at 20 µs an attempt');
  const printed = table(new Map([['actor', result]]));
  assert.match(printed, /actor\s+1\.00 of 2 cores busy; 50,000 attempts\/s of a ceiling of 100,000/);
});

test('no CPU measured: no busy line, rather than a ceiling of infinity', () => {
  const result = summarize(run(1000, 1), 500, false);
  withCpu(result, { total: 0 }, 2);
  assert.is(result.coresBusy, undefined);
  assert.not.match(table(new Map([['redis-lua', result]])), /cores busy/);
});

test.run();
