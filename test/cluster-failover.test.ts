// Three node processes on the real NATS: shards are partitioned, a graceful stop loses no
// ask, and a kill -9 moves the dead node's shards to survivors within the lease TTL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from 'nats';
import { ClusterClient, ClusterError, clusterView } from '../cluster/index.ts';
import { eventually, natsConnection, removeNatsState, startProcess, type Proc } from './support/harness.ts';

const cluster = `t_failover_${process.pid}`;
const shards = 16;
const leaseTtlMs = 2000;
const env = {
  ...(process.env as Record<string, string>),
  CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: String(leaseTtlMs), LOG_LEVEL: 'warn',
};
const procs = new Map<string, Proc>();
let nc: NatsConnection;
let client: ClusterClient;

async function startNode(nodeId: string): Promise<void> {
  const proc = startProcess('test/support/counter-node.ts', { ...env, NODE_ID: nodeId });
  procs.set(nodeId, proc);
  await proc.waitFor(/actor node \S+ joined/);
}

/** Shards each live node says it serves right now. */
async function served(): Promise<Map<string, number[]>> {
  const view = await clusterView(nc, cluster, shards, leaseTtlMs);
  return new Map((view.nodeStats as { nodeId: string; shards: number[] }[]).map((s) => [s.nodeId, s.shards]));
}

/** True when `nodes` between them serve every shard exactly once, and nobody else serves any. */
async function partitioned(nodes: string[]): Promise<boolean> {
  const byNode = await served();
  const all = [...byNode.entries()].filter(([id]) => nodes.includes(id)).flatMap(([, s]) => s).sort((a, b) => a - b);
  const others = [...byNode.entries()].filter(([id]) => !nodes.includes(id)).flatMap(([, s]) => s);
  return others.length === 0 && all.length === shards && all.every((s, i) => s === i);
}

interface LoadResult { ok: number; failed: { err: unknown; ms: number }[] }

/** Keeps `concurrency` callers asking counters until stopped; records failures and how long they took. */
function steadyLoad(concurrency: number, deadlineMs: number): { stop(): Promise<LoadResult> } {
  let running = true;
  const result: LoadResult = { ok: 0, failed: [] };
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; running; i++) {
      const started = Date.now();
      try {
        await client.ask('counter', `e${(w * 7 + i) % 64}`, { op: 'add', by: 1 }, { deadlineMs });
        result.ok++;
      } catch (err) {
        result.failed.push({ err, ms: Date.now() - started });
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return result;
    },
  };
}

test.before(async () => {
  nc = await natsConnection();
  client = new ClusterClient(nc, { cluster, shards, deadlineMs: 5000, inFlightLimit: 10_000 });
  await Promise.all(['n1', 'n2', 'n3'].map(startNode));
});

test.after(async () => {
  await Promise.all([...procs.values()].map((p) => p.kill('SIGKILL')));
  await nc.close();
  await removeNatsState(cluster);
});

test('three nodes: every shard is owned by exactly one node', async () => {
  // Shards settle as the three nodes join one after another: wait for a state where the
  // partition is whole and every node answers for some of it.
  const byNode = await eventually(async () => {
    if (!(await partitioned(['n1', 'n2', 'n3']))) return undefined;
    const b = await served();
    return ['n1', 'n2', 'n3'].every((id) => (b.get(id) ?? []).length > 0) ? b : undefined;
  }, 15_000);
  for (const id of ['n1', 'n2', 'n3']) assert.ok((byNode.get(id) ?? []).length > 0, `${id} serves some shards`);
  const view = await clusterView(nc, cluster, shards, leaseTtlMs);
  assert.equal(view.nodes.map((n) => n.nodeId).sort(), ['n1', 'n2', 'n3'], 'the view lists every live node');
  assert.equal(view.unownedShards, []);
  assert.ok(Object.values(view.shardOwners).every((o) => ['n1', 'n2', 'n3'].includes(o)));
});

test('graceful stop of one of three nodes under a steady stream of asks: zero failed asks', async () => {
  const load = steadyLoad(32, 5000);
  await new Promise((r) => setTimeout(r, 500));
  const code = await procs.get('n3')!.kill('SIGTERM');
  procs.delete('n3');
  await new Promise((r) => setTimeout(r, 1000));
  const result = await load.stop();
  assert.is(code, 0, 'the node exited cleanly');
  assert.equal(result.failed.map((f) => String(f.err)), [], 'no ask failed');
  assert.ok(result.ok > 100, `asks served: ${result.ok}`);
  await eventually(() => partitioned(['n1', 'n2']), 5000);
});

test('kill -9 of a node: survivors own all its shards within the lease TTL, asks succeed or fail typed within their deadline', async () => {
  await startNode('n4');
  await eventually(() => partitioned(['n1', 'n2', 'n4']), 10_000);
  const deadlineMs = 3000;
  const load = steadyLoad(32, deadlineMs);
  await new Promise((r) => setTimeout(r, 300));
  const killedAt = Date.now();
  await procs.get('n2')!.kill('SIGKILL');
  procs.delete('n2');
  await eventually(() => partitioned(['n1', 'n4']), leaseTtlMs + 5000, 50);
  const takeoverMs = Date.now() - killedAt;
  await new Promise((r) => setTimeout(r, 500));
  const result = await load.stop();
  // Lease TTL, plus the survivors' 1/3-TTL check interval, plus the server's expiry sweep, plus slack for a loaded machine.
  assert.ok(takeoverMs <= leaseTtlMs + 2000, `survivors took over in ${takeoverMs} ms`);
  for (const f of result.failed) {
    assert.instance(f.err, ClusterError, `failure is typed: ${String(f.err)}`);
    assert.ok(f.ms <= deadlineMs + 250, `failed within its deadline (${f.ms} ms)`);
  }
  assert.ok(result.ok > 100, `asks served: ${result.ok}`);
  process.stdout.write(`  takeover ${takeoverMs} ms; ${result.ok} asks ok, ${result.failed.length} failed typed\n`);
});

test.run();
