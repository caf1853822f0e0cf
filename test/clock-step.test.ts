// A wall clock stepped back (NTP correcting a clock that ran fast, a VM's clock resynced)
// must not stretch what the cluster runtime measures in elapsed time:
// - a shard lease is trusted locally only while the bucket cannot have expired it, so a
//   lease not renewed for a TTL is no longer valid here, whatever Date.now() says, and two
//   nodes never both hold a valid lease of one shard;
// - a member whose heartbeats stopped (killed -9) is judged gone after the TTL, so its
//   shards are taken over then, not a TTL plus the size of the step later.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { TtlBucket } from '../cluster/bucket.ts';
import { Leases } from '../cluster/leases.ts';
import { ClusterClient, ClusterNode, TimeoutError, shardOf } from '../cluster/index.ts';
import { entitySubject } from '../cluster/addressing.ts';
import { counterEntity } from './support/counter.ts';
import { eventually, natsConnection, natsUrl, removeNatsState, startProcess, testLog } from './support/harness.ts';

const realNow = Date.now;
/** Steps this process's wall clock by `ms` (negative: back); the monotonic clock runs on. */
function stepWallClock(ms: number): void {
  const base = Date.now;
  Date.now = () => base() + ms;
}

let nc: NatsConnection;
const name = `t_clockstep_${randomBytes(3).toString('hex')}`;

test.before(async () => {
  nc = await natsConnection();
});
test.after.each(() => {
  Date.now = realNow;
});
test.after(async () => {
  await (await nc.jetstreamManager()).streams.delete(`KV_${name}`).catch(() => undefined);
  await nc.close();
});

test('a lease not renewed for its TTL is not valid after the wall clock stepped back, and never valid on two nodes at once', async () => {
  const ttlMs = 1000;
  const bucket = await TtlBucket.open(nc, { name, ttlMs, callTimeoutMs: 500 });
  const a = new Leases(bucket, 'node-a', ttlMs);
  const b = new Leases(bucket, 'node-b', ttlMs);
  assert.ok(await a.acquire(3));
  assert.ok(a.valid(3));
  // A's renewals stop (paused, or cut off from NATS) and its wall clock is stepped back 30 s.
  stepWallClock(-30_000);
  // The bucket drops the key a TTL after A's last write; B takes the shard.
  const taken = await eventually(() => b.acquire(3), 5000, 100);
  assert.ok(taken, 'B took the expired lease');
  assert.ok(b.valid(3));
  assert.not.ok(a.valid(3), 'A no longer trusts a lease it has not renewed for a TTL: B holds it');
  assert.equal(a.lapsed(), [3], 'and counts it lapsed');
});

test('a member killed after the wall clock stepped back is judged gone after the TTL: its shards are served again within the usual bound', async () => {
  const cluster = `t_clockmem_${randomBytes(3).toString('hex')}`;
  const shards = 8;
  const leaseTtlMs = 1500;
  const a = await ClusterNode.start({
    nc, cluster, nodeId: 'a', shards, leaseTtlMs, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog, entities: [counterEntity()],
  });
  // The other node is a process of its own: its clock is not stepped, and it can be killed.
  const b = startProcess('test/support/counter-node.ts', {
    ...(process.env as Record<string, string>), NATS_URL: natsUrl, CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: String(leaseTtlMs), NODE_ID: 'b', LOG_LEVEL: 'warn',
  });
  try {
    await b.waitFor(/actor node \S+ joined/, 90_000);
    await eventually(() => a.ownedShards().length > 0 && a.ownedShards().length < shards, 30_000);
    // A's wall clock is stepped back 30 s; then B dies without a word (no heartbeat, no hand-off).
    stepWallClock(-30_000);
    await b.kill('SIGKILL');
    const killedAt = performance.now();
    const recovered = await eventually(() => a.ownedShards().length === shards, 15_000, 100).then(() => true, () => false);
    const tookMs = Math.round(performance.now() - killedAt);
    assert.ok(recovered, `A serves every shard within 15 s of B's death (the TTL is ${leaseTtlMs} ms); it served ${a.ownedShards().length}/${shards}`);
    process.stdout.write(`  A served B's shards ${tookMs} ms after B died\n`);
  } finally {
    Date.now = realNow;
    await b.kill('SIGKILL');
    await a.stop();
    await removeNatsState(cluster);
  }
});

test('an ask settles by its deadline when the wall clock is stepped back while it waits', async () => {
  const cluster = `t_clockask_${randomBytes(3).toString('hex')}`;
  const shards = 4;
  // Something that takes the request and never answers (a node that hangs).
  const sink = nc.subscribe(entitySubject(cluster, 'counter', shardOf('hung', shards), 'hung'));
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 1000, inFlightLimit: 10 });
  try {
    const started = performance.now();
    const asked = client.ask('counter', 'hung', { op: 'get' }).then(() => undefined, (err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    stepWallClock(-30_000);
    const err = await asked;
    const tookMs = performance.now() - started;
    assert.instance(err, TimeoutError);
    assert.ok(tookMs < 2000, `settled ${Math.round(tookMs)} ms after it was asked, deadline 1000 ms`);
  } finally {
    Date.now = realNow;
    sink.unsubscribe();
  }
});

test.run();
