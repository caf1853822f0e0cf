// `npm run sim:placement -- [--shards 4096] [--nodes 1000] [--changes 24] [--lease-ttl-ms 3000] [--epsilon 0.1] [--json]`
// Simulates shard placement at a size this machine cannot run: rendezvous (what the runtime
// does) and rendezvous with bounded loads, over a member list that churns (joins, graceful
// leaves, crashes). Prints the load spread (max/mean; the best possible is ceil(mean)/mean),
// shards moved per change against the 1/N ideal, and the lease and heartbeat traffic a
// cluster of that size puts on NATS, by size, so we know where one NATS cluster stops.
import { parseArgs } from 'node:util';
import { rendezvousOwner } from '../cluster/addressing.ts';
import { boundedRendezvous, rendezvous } from '../cluster/placement.ts';

const { values } = parseArgs({
  options: {
    shards: { type: 'string', default: '4096' },
    nodes: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '24' },
    'lease-ttl-ms': { type: 'string', default: '3000' },
    epsilon: { type: 'string', default: '0.1' },
    json: { type: 'boolean', default: false },
  },
});
const shards = Number(values.shards);
const startNodes = Number(values.nodes);
const changes = Number(values.changes);
const ttlMs = Number(values['lease-ttl-ms']);
const epsilon = Number(values.epsilon);
if (![shards, startNodes, changes, ttlMs].every((n) => Number.isInteger(n) && n > 0) || !(epsilon >= 0)) {
  process.stderr.write('usage: bench/sim-placement.ts [--shards N] [--nodes N] [--changes N] [--lease-ttl-ms N] [--epsilon 0.1] [--json]\n');
  process.exit(2);
}

// A deterministic generator, so two runs print the same numbers.
let seed = 0x2545f491;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
let nextId = 0;
const newNode = () => `node-${(nextId++).toString().padStart(4, '0')}-${Math.floor(random() * 0xffff).toString(16)}`;

// The fast scorer must agree with the runtime's rendezvousOwner exactly.
{
  const sample = Array.from({ length: 37 }, newNode);
  const fast = rendezvous(sample, 256);
  for (let s = 0; s < 256; s++) {
    if (sample[fast[s]!] !== rendezvousOwner(s, sample)) throw new Error(`the simulation disagrees with the runtime on shard ${s}`);
  }
}

type Strategy = { name: string; place(nodes: string[]): Int32Array };
const strategies: Strategy[] = [
  { name: 'rendezvous (runtime)', place: (nodes) => rendezvous(nodes, shards) },
  { name: `bounded rendezvous (cap mean×${(1 + epsilon).toFixed(2)})`, place: (nodes) => boundedRendezvous(nodes, shards, epsilon) },
];

function spread(owner: Int32Array, nodes: string[]): { max: number; mean: number; ratio: number; empty: number } {
  const load = new Int32Array(nodes.length);
  for (const o of owner) load[o]!++;
  const mean = shards / nodes.length;
  const max = Math.max(...load);
  return { max, mean, ratio: max / mean, empty: load.filter((l) => l === 0).length };
}

function moved(before: Int32Array, beforeNodes: string[], after: Int32Array, afterNodes: string[]): number {
  let n = 0;
  for (let s = 0; s < shards; s++) if (beforeNodes[before[s]!] !== afterNodes[after[s]!]) n++;
  return n;
}

// One churn script for both strategies: joins, graceful leaves and crashes, interleaved.
const initial = Array.from({ length: startNodes }, newNode);
const script: { kind: 'join' | 'leave' | 'crash'; node?: string; pick?: number }[] = [];
for (let i = 0; i < changes; i++) {
  const kind = (['join', 'leave', 'crash'] as const)[i % 3]!;
  script.push(kind === 'join' ? { kind, node: newNode() } : { kind, pick: random() });
}

interface Result {
  strategy: string;
  spread: { max: number; mean: number; ratio: number; empty: number };
  worstRatio: number;
  movesPerChange: { join: number; leave: number; crash: number };
  idealPerChange: number;
  moveRatio: number;
  ms: number;
}

const results: Result[] = [];
for (const strategy of strategies) {
  const started = performance.now();
  let nodes = [...initial];
  let owner = strategy.place(nodes);
  const first = spread(owner, nodes);
  let worst = first.ratio;
  const moves = { join: [] as number[], leave: [] as number[], crash: [] as number[] };
  for (const change of script) {
    const next = change.kind === 'join' ? [...nodes, change.node!] : nodes.filter((_, i) => i !== Math.floor(change.pick! * nodes.length));
    const placed = strategy.place(next);
    moves[change.kind].push(moved(owner, nodes, placed, next));
    worst = Math.max(worst, spread(placed, next).ratio);
    nodes = next;
    owner = placed;
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const all = [...moves.join, ...moves.leave, ...moves.crash];
  results.push({
    strategy: strategy.name,
    spread: first,
    worstRatio: worst,
    movesPerChange: { join: avg(moves.join), leave: avg(moves.leave), crash: avg(moves.crash) },
    idealPerChange: shards / startNodes,
    moveRatio: avg(all) / (shards / startNodes),
    ms: performance.now() - started,
  });
}

// NATS traffic of membership and leases, from what the runtime does (cluster/node.ts and
// membership.ts): every node puts its record every TTL/3 and renews each lease it holds
// every max(100, min(1000, TTL/3)) ms; every KV write is a request and a reply; every node
// watches both buckets (the lease watch sees each renewal, though it acts only on deletes).
const memberBytes = 420; // a member record with status, shards, actors and singletons, plus subject and headers
const leaseBytes = 110;
function traffic(n: number) {
  const beatsPerSec = n / (ttlMs / 3 / 1000);
  const tick = Math.max(100, Math.min(1000, Math.floor(ttlMs / 3)));
  const renewsPerSec = shards / (tick / 1000);
  const writes = beatsPerSec + renewsPerSec;
  const deliveries = n * beatsPerSec + n * renewsPerSec;
  return {
    nodes: n,
    kvWritesPerSec: Math.round(writes),
    msgsPerSec: Math.round(writes * 2 + deliveries),
    watchDeliveriesPerSec: Math.round(deliveries),
    mbPerSec: Math.round(((writes * 2 * leaseBytes + n * beatsPerSec * memberBytes + n * renewsPerSec * leaseBytes) / 1e6) * 10) / 10,
    replicatedWritesPerSec: Math.round(writes * 2), // R3: the leader ships each write to two followers
  };
}
const sizes = [...new Set([4, 16, 64, 256, startNodes])].sort((a, b) => a - b);
const trafficRows = sizes.map(traffic);

const fmt = (x: number, d = 2) => x.toFixed(d);
process.stdout.write(`placement of ${shards} shards over ${startNodes} nodes, ${changes} changes (joins, graceful leaves, crashes in turn)\n`);
process.stdout.write(`best possible max/mean: ceil(${fmt(shards / startNodes)})/${fmt(shards / startNodes)} = ${fmt(Math.ceil(shards / startNodes) / (shards / startNodes))}\n\n`);
process.stdout.write('strategy                                  max  mean   max/mean  worst max/mean  empty  moved/join  moved/leave  moved/crash  ideal (S/N)  moved÷ideal   ms\n');
for (const r of results) {
  process.stdout.write(`${r.strategy.padEnd(40)}  ${String(r.spread.max).padStart(3)}  ${fmt(r.spread.mean).padStart(5)}  ${fmt(r.spread.ratio).padStart(8)}  ${fmt(r.worstRatio).padStart(14)}  ${String(r.spread.empty).padStart(5)}  ${fmt(r.movesPerChange.join, 1).padStart(10)}  ${fmt(r.movesPerChange.leave, 1).padStart(11)}  ${fmt(r.movesPerChange.crash, 1).padStart(11)}  ${fmt(r.idealPerChange, 1).padStart(11)}  ${fmt(r.moveRatio).padStart(11)}  ${Math.round(r.ms).toString().padStart(4)}\n`);
}
process.stdout.write(`\nmembership + lease traffic on NATS (LEASE_TTL_MS=${ttlMs}, ${shards} shards; every node watches both buckets)\n`);
process.stdout.write('nodes   KV writes/s   msgs/s (writes, acks, watch deliveries)   watch deliveries/s   MB/s   replicated writes/s (R3)\n');
for (const t of trafficRows) {
  process.stdout.write(`${String(t.nodes).padStart(5)}  ${String(t.kvWritesPerSec).padStart(12)}  ${String(t.msgsPerSec).padStart(40)}  ${String(t.watchDeliveriesPerSec).padStart(19)}  ${String(t.mbPerSec).padStart(5)}  ${String(t.replicatedWritesPerSec).padStart(25)}\n`);
}
if (values.json) process.stdout.write(`${JSON.stringify({ shards, nodes: startNodes, changes, leaseTtlMs: ttlMs, results, traffic: trafficRows })}\n`);
