// A wall clock stepped back (NTP correcting a clock that ran fast, a VM's clock resynced)
// must not stretch what the cluster runtime measures in elapsed time:
// - a shard lease is trusted locally only while the bucket cannot have expired it, so a
//   lease not renewed for a TTL is no longer valid here, whatever Date.now() says, and two
//   nodes never both hold a valid lease of one shard.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { TtlBucket } from '../cluster/bucket.ts';
import { Leases } from '../cluster/leases.ts';
import { eventually, natsConnection } from './support/harness.ts';

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

test.run();
