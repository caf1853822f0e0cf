// A node whose wall clock is ahead of its callers' (NTP down, a clock set wrong) still
// serves their asks: an ask's deadline is the caller's, in the caller's time, and a skew
// between machines must not make every ask look expired on arrival.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { ClusterClient } from '../cluster/index.ts';
import { CallerClocks } from '../cluster/caller-clocks.ts';
import type { CounterState } from './support/counter.ts';
import { eventually, natsConnection, natsUrl, removeNatsState, root, startProcess, type Proc } from './support/harness.ts';

const cluster = `t_skew_${randomBytes(3).toString('hex')}`;
const shards = 4;
let nc: NatsConnection;
let node: Proc;

test.before(async () => {
  nc = await natsConnection();
  node = startProcess('test/support/counter-node.ts', {
    ...(process.env as Record<string, string>),
    NATS_URL: natsUrl, CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: '1500', NODE_ID: 'ahead', LOG_LEVEL: 'warn',
    CHILD_NODE_ARGS: `--import ${join(root, 'test/support/clock-offset.mjs')}`, CLOCK_OFFSET_MS: '8000',
  });
  await node.waitFor(/actor node \S+ joined/, 90_000);
});
test.after(async () => {
  await node?.kill('SIGKILL');
  await nc.close();
  await removeNatsState(cluster);
});

test('a node whose clock runs 8 s ahead answers asks with a 5 s deadline', async () => {
  const client = new ClusterClient(nc, { cluster, shards, deadlineMs: 5000, inFlightLimit: 100 });
  // Every shard is served (the node took its leases)…
  await eventually(async () => {
    try {
      await client.ask('counter', 'warm', { op: 'get' }, { deadlineMs: 10_000 });
      return true;
    } catch {
      return false;
    }
  }, 30_000, 200);
  // …and asks with the usual deadline are answered, not failed as expired on arrival.
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => client.ask<CounterState>('counter', `k${i}`, { op: 'add', by: 1 })));
  const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
  assert.equal(failed, [], 'every ask answered');
});

test('a request that waited on its way is not given its wait back: it expires when its caller gives up', () => {
  const clocks = new CallerClocks(5000, 1000);
  const ahead = 8000;
  // Sent at 1000 on the caller's clock with 5 s left; here 1 ms later, on a clock 8 s ahead:
  // the skew beyond the 1 s tolerance is forgiven.
  assert.is(clocks.localDeadline('_INBOX.abc.1', 6000, 5000, 1000 + ahead + 1, 0), 6000 + ahead + 1 - 1000);
  // Sent at 2000 with 5 s left, read here after waiting 4 s (a backlog, a pause): not given its wait back.
  assert.is(clocks.localDeadline('_INBOX.abc.2', 7000, 5000, 2000 + ahead + 4000, 10), 7000 + ahead + 1 - 1000);
  // Another caller, whose clock agrees with this one, is judged on its own: as before.
  assert.is(clocks.localDeadline('_INBOX.xyz.1', 20_000, 5000, 15_000, 20), 20_000);
  // A caller whose every request waited 600 ms (an overloaded node): nothing forgiven, its requests are shed on time.
  assert.is(clocks.localDeadline('_INBOX.busy.1', 25_000, 5000, 20_600, 30), 25_000);
  // A caller 3 s behind this clock: its deadlines come 2 s earlier here.
  assert.is(clocks.localDeadline('_INBOX.behind.1', 45_000, 5000, 40_000 - 3000, 40), 45_000 - 2000);
  // A request from an older caller (no `t`) keeps its `d`.
  assert.is(clocks.localDeadline('_INBOX.old.1', 30_000, undefined, 99_999, 50), 30_000);
});

test.run();
