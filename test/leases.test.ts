// Shard leases on the real NATS: a renewal whose answer was lost (it timed out here and
// applied on the server) moves the key's revision on. The next renewal finds "wrong last
// sequence"; while the key still names this node that is not a loss. A fault audit saw
// such renewals move shards for three minutes after a NATS restart on a loaded host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { TtlBucket } from '../cluster/bucket.ts';
import { Leases } from '../cluster/leases.ts';
import { natsConnection } from './support/harness.ts';

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
    await bucket.kv.update(key(shard), new TextEncoder().encode(shard === 1 ? 'node-a' : 'node-b'), entry!.revision);
  }
  assert.ok(await leases.renew(1), 'still ours: not lost');
  assert.ok(leases.valid(1));
  assert.ok(await leases.renew(1), 'and renewed from its new revision after');
  assert.not.ok(await leases.renew(2), 'another node wrote it: lost');
  assert.not.ok(leases.holds(2));
});

test.run();
