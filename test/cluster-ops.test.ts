// The operator's CLI against real node processes: `cluster status --json` shows every member
// and shard, `cluster drain` hands a node's shards over under a steady stream of asks with
// none failing and returns once the node has exited, and a node started with another SHARDS
// is refused at start with both values named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { ClusterClient, drainNode, readStatus } from '../cluster/index.ts';
import { statusJson, statusText } from '../ops/cli/render.ts';
import { openTtlBucket } from '../cluster/bucket.ts';
import { membersBucket } from '../cluster/membership.ts';
import { eventually, natsConnection, orAfter, removeNatsState, root, startProcess, type Proc } from './support/harness.ts';

const cluster = `t_clusterops_${process.pid}`;
const shards = 16;
const env = {
  ...(process.env as Record<string, string>),
  CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: '2000', LOG_LEVEL: 'warn',
};
const procs = new Map<string, Proc>();
let nc: NatsConnection;
let client: ClusterClient;
/** Started beside the status test (process starts are slow on a loaded machine), checked after it. */
let refused: Proc | undefined;

/** Runs `npm run cluster -- …` (the CLI file itself) and collects its output and exit code. */
function cli(args: string[], extraEnv: Record<string, string> = {}, killAfterMs?: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'ops/cli.ts'), ...args], { cwd: root, env: { ...env, ...extraEnv } });
    // `watch` runs until it is stopped: one that does not end by itself fails its test instead of hanging it.
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs).unref();
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

interface StatusJson {
  members: { nodeId: string; status: string; shards: number; actors: number; singletons: string[] }[];
  unownedShards: number[];
  singletons: Record<string, string>;
}

/** The view the CLI prints, read in this process (spawning the CLI costs seconds on a loaded machine). */
async function status(): Promise<StatusJson> {
  return statusJson(await readStatus(nc, cluster, shards, 2000));
}

async function startNode(nodeId: string, extra: Record<string, string> = {}): Promise<Proc> {
  const proc = startProcess('test/support/counter-node.ts', { ...env, NODE_ID: nodeId, ...extra });
  procs.set(nodeId, proc);
  await proc.waitFor(/actor node \S+ joined/, 90_000);
  return proc;
}

test.before(async () => {
  nc = await natsConnection();
  client = new ClusterClient(nc, { cluster, shards, deadlineMs: 5000, inFlightLimit: 10_000 });
  await Promise.all([startNode('n1'), startNode('n2')]);
});

test.after(async () => {
  await Promise.all([...procs.values()].map((p) => p.kill('SIGKILL')));
  await nc.close();
  await removeNatsState(cluster);
});

test('status --json: one object with every member Up, all shards owned, nothing else on stdout', async () => {
  await eventually(async () => {
    const view = await status();
    const up = view.members.every((m) => m.status === 'Up');
    return view.members.length === 2 && up && view.unownedShards.length === 0;
  }, 20_000, 200);
  refused = startProcess('test/support/counter-node.ts', { ...env, NODE_ID: 'wrong', SHARDS: '32' });
  const r = await cli(['status', '--json']);
  assert.is(r.code, 0, r.err);
  const s = JSON.parse(r.out) as StatusJson;
  assert.equal(Object.keys(s).sort(), ['members', 'singletons', 'unownedShards']);
  assert.equal(s.members.map((m) => m.nodeId), ['n1', 'n2']);
  assert.is(s.members.reduce((n, m) => n + m.shards, 0), shards, 'the members serve every shard between them');
  for (const m of s.members) {
    for (const key of ['nodeId', 'status', 'shards', 'actors', 'singletons']) assert.ok(key in m, `member has ${key}`);
  }
  const text = statusText(await readStatus(nc, cluster, shards, 2000));
  assert.match(text, /NODE\s+HOST\s+PID\s+VERSION\s+ROLE\s+STATUS\s+SHARDS\s+ACTORS/);
  assert.match(text, /\nn1 .* Up /);
  assert.match(text, /unowned shards: none/);
});

test('a node with another SHARDS is refused at start, naming both values', async () => {
  const proc = refused ?? startProcess('test/support/counter-node.ts', { ...env, NODE_ID: 'wrong', SHARDS: '32' });
  const code = await proc.exited;
  assert.is(code, 3, "exits with the refusal code");
  assert.match(proc.output(), /SHARDS=32 here, but the running cluster uses SHARDS=16/);
  const view = await status();
  assert.not.ok(view.members.some((m) => m.nodeId === 'wrong'), 'the refused node never joined');
});

test('drain under a steady stream of asks: zero failed, the node exits 0, the command returns once it is gone', async () => {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const workers = Array.from({ length: 32 }, async (_, w) => {
    for (let i = 0; running; i++) {
      try {
        await client.ask('counter', `e${(w * 7 + i) % 64}`, { op: 'add', by: 1 }, { deadlineMs: 5000 });
        ok++;
      } catch (err) {
        failed.push(String(err));
      }
    }
  });
  let r: Awaited<ReturnType<typeof cli>>;
  let exitCode: unknown;
  try {
    await eventually(() => ok > 200, 20_000);
    r = await cli(['drain', 'n2']);
    process.stdout.write(`  ${r.out.trim().split('\n').join('\n  ')}\n`);
    exitCode = await orAfter(procs.get('n2')!.exited, 10_000, 'still running');
    const before = ok;
    await eventually(() => ok > before + 100, 10_000);
  } finally {
    running = false;
    await Promise.all(workers);
  }
  assert.is(r.code, 0, `drain failed: ${r.err}`);
  assert.match(r.out, /n2: left the cluster/);
  assert.match(r.out, /drained n2/);
  assert.is(exitCode, 0, 'the drained node exited 0');
  assert.equal(failed, [], 'no ask failed');
  const view = await status();
  assert.equal(view.members.map((m) => [m.nodeId, m.shards]), [['n1', shards]]);
  assert.equal(view.unownedShards, []);
  const missing = await drainNode(nc, { cluster, shards, leaseTtlMs: 2000, nodeId: 'n2' }).then(() => 'drained', (err: Error) => err.message);
  assert.match(missing, /no live node "n2"/);
});

test('status, drain and watch of a cluster that never started: seen empty, and no bucket is left behind', async () => {
  const never = `t_never_${process.pid}`;
  const view = await readStatus(nc, never, shards, 2000);
  assert.equal(view.members, []);
  const missing = await drainNode(nc, { cluster: never, shards, leaseTtlMs: 2000, nodeId: 'n1' }).then(() => 'drained', (err: Error) => err.message);
  assert.match(missing, /no live node "n1" in cluster "t_never_\d+" \(members: none\)/);
  const watched = await cli(['watch'], { CLUSTER: never }, 30_000);
  assert.is(watched.code, 1, watched.out);
  assert.match(watched.err, /^cluster: no cluster "t_never_\d+" on this NATS \(no node of it ever started\)/);
  // A bucket made by a reader has the reader's TTL and one replica, whatever the nodes would give it.
  const jsm = await nc.jetstreamManager();
  const made = await jsm.streams.info(`KV_${never}_members`).then(() => 'created', () => 'none');
  await removeNatsState(never);
  assert.is(made, 'none');
});

test('drain of a node that was killed while its record lives: says nothing answers for it and that its record runs out', async () => {
  // A record as a node killed with -9 leaves it, until it expires (no process listens for the drain).
  const members = await openTtlBucket(nc, membersBucket(cluster), 2000);
  await members.put('ghost', new TextEncoder().encode(JSON.stringify({ nodeId: 'ghost', pid: 1, startedAt: new Date().toISOString(), status: 'Leaving', held: [] })));
  // In this process, not through the CLI: the record lives 2 s, and starting the CLI can take longer.
  const said = await drainNode(nc, { cluster, shards, leaseTtlMs: 2000, nodeId: 'ghost' }).then(() => 'drained', (err: Error) => err.message);
  assert.match(said, /^node "ghost" did not accept the drain: no process answers for it \(it stopped without leaving, e\.g\. killed\); its record runs out within 2000 ms/);
});

test.run();
