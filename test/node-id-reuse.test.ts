// A node restarted with a fixed NODE_ID while its previous process was not dead but paused
// (SIGSTOP, a frozen VM, a long stall) past its record's TTL: the new process is admitted
// (assertNodeIdFree finds no live record) and takes the shards. When the old one resumes,
// it must not take them back because the lease keys carry "its" id: only one of the two
// processes may serve a shard. And seeing its id's record written by the later process,
// it exits, rather than overwrite that record, poll for shards, or leave with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { RequestStrategy, type NatsConnection } from 'nats';
import { assertNodeIdFree, readStatus } from '../cluster/index.ts';
import { eventually, natsConnection, natsUrl, removeNatsState, sleep, startProcess, type Proc } from './support/harness.ts';

const cluster = `t_idreuse_${randomBytes(3).toString('hex')}`;
const shards = 8;
const leaseTtlMs = 1500;
let nc: NatsConnection;
const procs: Proc[] = [];

test.before(async () => {
  nc = await natsConnection();
});
test.after(async () => {
  for (const p of procs) {
    p.child.kill('SIGCONT');
    await p.kill('SIGKILL');
  }
  await nc.close();
  await removeNatsState(cluster);
});

/** pid → shards, for every process that answers the stats request (one per process, whatever its id). */
async function servingByProcess(): Promise<number[][]> {
  const out: number[][] = [];
  const replies = await nc.requestMany(`${cluster}.svc.cluster.stats`, undefined, { strategy: RequestStrategy.Timer, maxWait: 700 });
  for await (const msg of replies) out.push((JSON.parse(new TextDecoder().decode(msg.data)) as { shards: number[] }).shards);
  return out;
}

function startNode(): Proc {
  const proc = startProcess('test/support/counter-node.ts', {
    ...(process.env as Record<string, string>),
    NATS_URL: natsUrl, CLUSTER: cluster, SHARDS: String(shards), LEASE_TTL_MS: String(leaseTtlMs), NODE_ID: 'twin', LOG_LEVEL: 'warn',
  });
  procs.push(proc);
  return proc;
}

test('an old process of a NODE_ID resumed after its replacement joined does not serve the replacement\'s shards', async () => {
  const old = startNode();
  await old.waitFor(/actor node \S+ joined/, 90_000);
  await eventually(async () => (await servingByProcess()).some((s) => s.length === shards), 30_000, 200);
  old.child.kill('SIGSTOP');
  // Its record runs out; a restart with the same NODE_ID is admitted and takes every shard.
  await assertNodeIdFree(nc, cluster, 'twin', leaseTtlMs);
  const replacement = startNode();
  await replacement.waitFor(/actor node \S+ joined/, 90_000);
  await eventually(async () => (await servingByProcess()).some((s) => s.length === shards), 30_000, 200);

  old.child.kill('SIGCONT');
  // The resumed process sees its id's record written by a later process and exits as
  // after a crash; the replacement keeps every shard and its own record.
  const code = await Promise.race([old.exited, sleep(10_000).then(() => 'still running')]);
  assert.is(code, 3, old.output().slice(-600));
  assert.match(old.output(), /NODE_ID=twin was taken by a later process \(pid \d+, started [^)]+\) while this one was paused; exiting/);
  await sleep(3 * leaseTtlMs);
  const samples: number[][][] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await servingByProcess());
    await sleep(200);
  }
  for (const sample of samples) {
    assert.equal(sample.map((s) => s.length), [shards], `the replacement alone answers, with every shard: ${JSON.stringify(sample)}`);
  }
  const members = await readStatus(nc, cluster, shards, leaseTtlMs);
  assert.equal(members.members.map((m) => [m.nodeId, m.pid]), [['twin', replacement.child.pid]], 'the record is the replacement\'s');
});

test.run();
