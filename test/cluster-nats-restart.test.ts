// A private NATS server killed and started again under two node processes: while it is
// down every ask settles by its deadline as `unavailable`; once it is back (here with its
// JetStream storage lost, so buckets must be created again) the nodes re-take every shard
// and asks are served again within the lease TTL + 5 s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestStrategy, type NatsConnection } from 'nats';
import { ClusterClient, UnavailableError, connectNats } from '../cluster/index.ts';
import { pino } from 'pino';
import { startProcess, eventually, type Proc } from './support/harness.ts';
import { startNats, wipeNatsStore, type PrivateServer } from './support/private-servers.ts';

const port = 14221;
const cluster = `t_natsrestart_${process.pid}`;
const shards = 8;
const leaseTtlMs = 1500;
let nats: PrivateServer;
let nc: NatsConnection;
let client: ClusterClient;
const procs: Proc[] = [];
const quiet = pino({ level: 'error' });

test.before(async () => {
  nats = await startNats(port);
  const env = {
    ...(process.env as Record<string, string>),
    NATS_URL: nats.url, CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: String(leaseTtlMs), LOG_LEVEL: 'warn',
  };
  for (const id of ['r1', 'r2']) {
    const proc = startProcess('test/support/counter-node.ts', { ...env, NODE_ID: id });
    procs.push(proc);
    await proc.waitFor(/actor node \S+ joined/);
  }
  nc = await connectNats(nats.url, 'nats-restart-test', quiet);
  client = new ClusterClient(nc, { cluster, shards, deadlineMs: 3000, inFlightLimit: 10_000 });
});

test.after(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await nc?.close().catch(() => undefined);
  await nats?.destroy();
});

/** Resolves at the connection's next status event of this type. */
async function nextStatus(type: string): Promise<void> {
  for await (const status of nc.status()) if (status.type === type) return;
}

/** One ask to each of 32 counters (every shard is hit): true when all succeed. */
async function allServed(deadlineMs: number): Promise<boolean> {
  const results = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => client.ask('counter', `k${i}`, { op: 'add', by: 1 }, { deadlineMs })));
  return results.every((r) => r.status === 'fulfilled');
}

test('NATS killed and restarted without its storage: asks settle by their deadline meanwhile, serving resumes within TTL + 5 s', async () => {
  await eventually(() => allServed(2000), 10_000);

  const disconnected = nextStatus('disconnect');
  const killedAt = Date.now();
  await nats.kill('SIGKILL');
  wipeNatsStore(nats);
  // While it is down: every ask settles by its deadline, typed unavailable (never sent).
  await disconnected;
  const deadlineMs = 800;
  const outcomes = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const started = Date.now();
    try {
      await client.ask('counter', `k${i % 32}`, { op: 'add', by: 1 }, { deadlineMs });
      return { ok: true, ms: Date.now() - started, err: undefined as unknown };
    } catch (err) {
      return { ok: false, ms: Date.now() - started, err };
    }
  }));
  for (const o of outcomes) {
    assert.not.ok(o.ok, 'nothing is served while NATS is down');
    assert.ok(o.ms <= deadlineMs + 150, `settled within its deadline (${o.ms} ms)`);
    assert.instance(o.err, UnavailableError, `typed unavailable: ${String(o.err)}`);
  }

  // Down for longer than the lease TTL, so every lease also lapses on the nodes' side.
  await new Promise((r) => setTimeout(r, Math.max(0, leaseTtlMs + 300 - (Date.now() - killedAt))));
  await nats.start();
  const restartedAt = Date.now();
  await eventually(() => allServed(1000), leaseTtlMs + 5000, 100);
  const recoveredMs = Date.now() - restartedAt;
  process.stdout.write(`  asks served again ${recoveredMs} ms after NATS came back\n`);
  assert.ok(recoveredMs <= leaseTtlMs + 5000, `recovered in ${recoveredMs} ms`);

  // And it lasts: for longer than any lease-path call made during the outage could hang
  // (the JetStream default was 5 s), every shard stays served.
  const until = Date.now() + 5500;
  let rounds = 0;
  while (Date.now() < until) {
    assert.ok(await allServed(1500), `still served ${Date.now() - restartedAt} ms after the restart`);
    rounds++;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(rounds > 5);
  // Both nodes answer for their shards, which between them are all of them.
  const owned = await nodeShards();
  assert.equal([...owned.keys()].sort(), ['r1', 'r2']);
  assert.equal([...owned.values()].flat().sort((a, b) => a - b), [...Array(shards).keys()]);
});

/** The shards each node says it serves, asked over NATS (reads no bucket, creates none). */
async function nodeShards(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const replies = await nc.requestMany(`${cluster}.svc.cluster.stats`, undefined, { strategy: RequestStrategy.Timer, maxWait: 500 });
  for await (const msg of replies) {
    const stats = JSON.parse(new TextDecoder().decode(msg.data)) as { nodeId: string; shards: number[] };
    out.set(stats.nodeId, stats.shards);
  }
  return out;
}

test.run();
