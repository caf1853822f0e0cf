// A member's heartbeat writes its record only over its own last write, against the real
// NATS KV: a write of its own it never heard confirmed, or a record that expired, is not
// another process; a record another process of the same NODE_ID wrote is, and then this
// one gives way without touching that record (it neither overwrites nor deletes it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { TtlBucket } from '../cluster/bucket.ts';
import { Membership, membersBucket, type MemberInfo } from '../cluster/membership.ts';
import { natsConnection, removeNatsState, testLog } from './support/harness.ts';

const cluster = `t_beat_${randomBytes(3).toString('hex')}`;
const ttlMs = 3000;
let nc: NatsConnection;
let bucket: TtlBucket;

test.before(async () => {
  nc = await natsConnection();
  bucket = await TtlBucket.open(nc, { name: membersBucket(cluster), ttlMs, callTimeoutMs: 1000, log: testLog });
});
test.after(async () => {
  await nc.close();
  await removeNatsState(cluster);
});

const encode = (m: MemberInfo) => new TextEncoder().encode(JSON.stringify(m));
const read = async (key: string) => {
  const e = await bucket.kv.get(key);
  return e && e.operation === 'PUT' ? (JSON.parse(new TextDecoder().decode(e.value)) as MemberInfo) : undefined;
};

test('its own unconfirmed write and an expired record are not another process; another process\'s record is, and is left alone', async () => {
  const self: MemberInfo = { nodeId: 'beat-a', pid: 1001, startedAt: '2026-11-28T10:00:00.000Z' };
  const superseded: MemberInfo[] = [];
  const m = new Membership(bucket, self, ttlMs, testLog, () => {}, (by) => superseded.push(by));
  await m.join();
  try {
    // A write of its own applied by the server but never confirmed here: the key moved on.
    await bucket.kv.put(self.nodeId, encode({ ...self, status: 'Up' }));
    await m.announce();
    assert.equal(superseded, [], 'its own write');
    assert.is((await read(self.nodeId))?.pid, self.pid);

    // The record gone (expired in a stall, or a NATS restart without its storage).
    await bucket.kv.purge(self.nodeId);
    await m.announce();
    assert.equal(superseded, [], 'an expired record');
    assert.is((await read(self.nodeId))?.pid, self.pid, 'written again');

    // Another process of the same NODE_ID, admitted while this one was paused.
    const replacement: MemberInfo = { nodeId: self.nodeId, pid: 2002, startedAt: '2026-11-28T09:00:00.000Z' };
    await bucket.kv.put(self.nodeId, encode(replacement));
    await m.announce();
    assert.equal(superseded.map((s) => s.pid), [2002], 'gives way, whatever the start times say');
    await m.announce();
    await m.leave();
    assert.equal(await read(self.nodeId), replacement, 'the replacement\'s record, neither overwritten nor deleted');
    assert.is(superseded.length, 1, 'told once');
  } finally {
    m.halt();
  }
});

test('a graceful leave removes only its own last write: not a record another process wrote since', async () => {
  const mine: MemberInfo = { nodeId: 'beat-b', pid: 1003, startedAt: '2026-11-28T10:00:00.000Z' };
  const m = new Membership(bucket, mine, ttlMs, testLog);
  await m.join();
  await m.leave();
  assert.is(await read(mine.nodeId), undefined, 'its own record removed');

  // Another process of the id wrote the key after our last heartbeat (we were paused, say)
  // and we leave before any heartbeat of ours could have noticed.
  const self: MemberInfo = { nodeId: 'beat-c', pid: 1004, startedAt: '2026-11-28T10:00:00.000Z' };
  const n = new Membership(bucket, self, ttlMs, testLog);
  await n.join();
  const replacement: MemberInfo = { nodeId: self.nodeId, pid: 2004, startedAt: '2026-11-28T10:05:00.000Z' };
  await bucket.kv.put(self.nodeId, encode(replacement));
  await n.leave();
  assert.equal(await read(self.nodeId), replacement, 'the other process\'s record stays');
});

test.run();
