// bench:ask — asks per second and latency to a trivial counter entity with N asks in
// flight, next to a bare NATS request/reply to the same node process in the same run.
//   npm run bench:ask -- [--asks 100000] [--concurrency 256] [--json]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { ClusterClient } from '../cluster/index.ts';
import { natsConnection, removeNatsState, startProcess } from '../test/support/harness.ts';

const { values } = parseArgs({
  options: { asks: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '256' }, json: { type: 'boolean', default: false } },
});
const asks = Number(values.asks);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(asks) || asks < 1 || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100_000) {
  process.stderr.write('usage: bench/ask.ts [--asks N ≥ 1] [--concurrency 1..100000] [--json]\n');
  process.exit(2);
}

interface Result { perSec: number; p50: number; p99: number; seconds: number }

/** `concurrency` callers in a closed loop until `asks` calls have been made. */
async function closedLoop(call: (i: number) => Promise<unknown>): Promise<Result> {
  const latencies = new Float64Array(asks);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, asks) }, async () => {
    for (let i = next++; i < asks; i = next++) {
      const t0 = performance.now();
      await call(i);
      latencies[i] = performance.now() - t0;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const at = (q: number) => Number(latencies[Math.min(asks - 1, Math.floor(q * asks))]!.toFixed(2));
  return { perSec: Math.round(asks / seconds), p50: at(0.5), p99: at(0.99), seconds: Number(seconds.toFixed(2)) };
}

const cluster = `benchask_${randomBytes(3).toString('hex')}`;
const shards = 64;
const node = startProcess('test/support/counter-node.ts', {
  ...(process.env as Record<string, string>), CLUSTER: cluster, SHARDS: String(shards), COUNTER_ASYNC_GAP: '0', LOG_LEVEL: 'warn', NODE_ID: 'bench-ask-node',
});
try {
  await node.waitFor(/actor node \S+ joined/);
  const nc = await natsConnection();
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 30_000, inFlightLimit: 1_000_000 });
  const payload = new TextEncoder().encode(JSON.stringify({ op: 'add', by: 1 }));
  // Warm up both paths (connections, JIT, the entities' activation).
  for (let i = 0; i < 2000; i++) await nc.request(`${cluster}.bench.echo`, payload, { timeout: 5000 });
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client.ask('counter', `c${i}`, { op: 'add', by: 0 })));
  await client.ask('counter', 'hot', { op: 'add', by: 0 });

  const say = (line: string) => process.stderr.write(`[ask] ${line}\n`);
  say(`bare NATS request/reply, ${asks} requests, ${concurrency} in flight`);
  const bare = await closedLoop(() => nc.request(`${cluster}.bench.echo`, payload, { timeout: 30_000 }));
  say(`actor asks to one hot counter, coalesced`);
  const hot = await closedLoop(() => client.ask('counter', 'hot', { op: 'add', by: 1 }));
  say(`actor asks spread over ${concurrency} counters, one per caller`);
  const spread = await closedLoop((i) => client.ask('counter', `c${i % concurrency}`, { op: 'add', by: 1 }));
  await nc.close();

  const rows: [string, Result][] = [['nats-request', bare], ['actor-hot', hot], ['actor-spread', spread]];
  const ratios = { 'actor-hot/nats-request': Number((hot.perSec / bare.perSec).toFixed(2)), 'actor-spread/nats-request': Number((spread.perSec / bare.perSec).toFixed(2)) };
  const pad = (v: string | number, n: number) => String(v).padStart(n);
  process.stdout.write(`${'path'.padEnd(14)}${pad('asks/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}\n`);
  for (const [name, r] of rows) process.stdout.write(`${name.padEnd(14)}${pad(r.perSec, 10)}${pad(r.p50, 9)}${pad(r.p99, 9)}\n`);
  for (const [k, v] of Object.entries(ratios)) process.stdout.write(`${k}: ${v}x\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ concurrency, asks, paths: Object.fromEntries(rows), ratios })}\n`);
} finally {
  await node.kill('SIGTERM');
  await removeNatsState(cluster);
}
