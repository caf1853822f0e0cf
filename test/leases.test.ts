// Shard leases on the real NATS: a renewal whose answer was lost (it timed out here and
// applied on the server) moves the key's revision on. The next renewal finds "wrong last
// sequence"; while the key still names this node that is not a loss. A fault audit saw
// such renewals move shards for three minutes after a NATS restart on a loaded host.
// And a node resumed after a pause past its TTL lets the lapsed shards go before its
// first heartbeat is written, and is not ready until it serves its shards again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { KvWatchInclude, type NatsConnection } from 'nats';
import { TtlBucket } from '../cluster/bucket.ts';
import { Leases } from '../cluster/leases.ts';
import { ClusterNode } from '../cluster/index.ts';
import { membersBucket, type MemberInfo } from '../cluster/membership.ts';
import { counterEntity } from './support/counter.ts';
import { missingShards } from '../app/ops.ts';
import { eventually, natsConnection, removeNatsState, testLog } from './support/harness.ts';

let nc: NatsConnection;
let bucket: TtlBucket;
const name = `t_leases_${randomBytes(3).toString('hex')}`;

test.before(async () => {
  nc = await natsConnection();
  bucket = await TtlBucket.open(nc, { name, ttlMs: 5000, callTimeoutMs: 2000 });
});
test.after(async () => {
  await (await nc.jetstreamManager()).streams.delete(`KV_${name}`).catch(() => undefined);
  await nc.close();
});

test('a renewal that finds its own lost write (the key still ours, its revision moved) keeps the lease; another node\'s write loses it', async () => {
  const leases = new Leases(bucket, 'node-a', 5000);
  assert.ok(await leases.acquire(1));
  assert.ok(await leases.acquire(2));
  // Node A's renewals whose answers never arrived, as the server applied them.
  const key = (shard: number) => `shard.${shard}`;
  for (const shard of [1, 2]) {
    const entry = await bucket.kv.get(key(shard));
    // Shard 1: A's own value, as its lost renewal wrote it; shard 2: another node's.
    await bucket.kv.update(key(shard), shard === 1 ? entry!.value : new TextEncoder().encode('node-b'), entry!.revision);
  }
  assert.ok(await leases.renew(1), 'still ours: not lost');
  assert.ok(leases.valid(1));
  assert.ok(await leases.renew(1), 'and renewed from its new revision after');
  assert.not.ok(await leases.renew(2), 'another node wrote it: lost');
  assert.not.ok(leases.holds(2));
});


test('a node resumed after a pause past its lease TTL lets its lapsed shards go before its first heartbeat announces it', async () => {
  // The heartbeat is what makes the node that took the shards hand them back. Had it gone
  // out while the lapsed subscriptions were still open, a request reaching NATS after that
  // hand-off went to the resumed node alone, which drops it (its lease lapsed), and the
  // caller waited out its whole deadline.
  const cluster = `t_resume_${randomBytes(3).toString('hex')}`;
  const shards = 4;
  const node = await ClusterNode.start({
    nc, cluster, nodeId: 'paused', shards, leaseTtlMs: 1000, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog, entities: [counterEntity()],
  });
  const members = await (await nc.jetstream().views.kv(membersBucket(cluster))).watch({ key: 'paused', include: KvWatchInclude.UpdatesOnly });
  try {
    await eventually(() => node.ownedShards().length === shards, 10_000);
    let paused = false;
    let firstAfterPause: MemberInfo | undefined;
    let resumedAt = 0;
    // Bounded: a record that never showed every shard would otherwise keep the loop waiting.
    const giveUp = setTimeout(() => members.stop(), 20_000);
    for await (const entry of members) {
      const record = JSON.parse(new TextDecoder().decode(entry.value)) as MemberInfo;
      if (paused) {
        // A heartbeat written before the pause may still be on its way here.
        if (entry.created.getTime() < resumedAt) continue;
        firstAfterPause = record;
        break;
      }
      if (record.held?.length !== shards) continue;
      // The whole process stops, as under SIGSTOP, right after a heartbeat that held every shard.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1600);
      resumedAt = Date.now();
      paused = true;
    }
    clearTimeout(giveUp);
    assert.equal(firstAfterPause?.held, [], 'the first heartbeat after the pause claims no lapsed shard');
    await eventually(() => node.ownedShards().length === shards, 10_000);
  } finally {
    members.stop();
    await node.stop();
    await removeNatsState(cluster);
  }
});

test('right after a pause past its TTL a node is not ready: the shards it still subscribes to are not counted as served', async () => {
  const cluster = `t_ready_${randomBytes(3).toString('hex')}`;
  const shards = 4;
  const node = await ClusterNode.start({
    nc, cluster, nodeId: 'resumed', shards, leaseTtlMs: 1000, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog, entities: [counterEntity()],
  });
  try {
    await eventually(() => node.ownedShards().length === shards && missingShards(node, shards).length === 0, 10_000);
    // Stopped as under SIGSTOP; the first thing to run after is a readiness probe.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1600);
    assert.equal(missingShards(node, shards).length, shards, 'every shard counted missing, none served from a lapsed lease');
    await eventually(() => missingShards(node, shards).length === 0, 10_000);
  } finally {
    await node.stop();
    await removeNatsState(cluster);
  }
});

test.run();
