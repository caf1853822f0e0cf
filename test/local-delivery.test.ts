// Asks from a process to the shards a node in that same process serves (ROLE=all) skip
// NATS; everything an ask promises over NATS still holds: copies rather than shared
// objects, the caller's deadline, and a shard that moved away is asked where it now lives.
// run-tests: alone (it asserts an ask to a stopped local shard fails within 290–800 ms)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection, Subscription } from 'nats';
import { ClusterClient, ClusterNode, InvalidError, TimeoutError, rendezvousOwner, shardOf } from '../cluster/index.ts';
import { gatedEntity } from './support/gated.ts';
import { counterEntity, type CounterState } from './support/counter.ts';
import { eventually, natsConnection, removeNatsState, testLog } from './support/harness.ts';

const cluster = `t_local_${process.pid}`;
const shards = 8;
const store = new Map<string, CounterState>();
let ncA: NatsConnection;
let ncB: NatsConnection | undefined;
let nodeA: ClusterNode;
let nodeB: ClusterNode | undefined;
let client: ClusterClient;
let spy: Subscription;
/** Entity messages seen on NATS, by entity id. */
const onTheWire = new Map<string, number>();

const gate = gatedEntity();

const entities = () => [counterEntity({ store }), gate.entity];

test.before(async () => {
  ncA = await natsConnection();
  nodeA = await ClusterNode.start({
    nc: ncA, cluster, nodeId: 'a', shards, leaseTtlMs: 2000, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog, entities: entities(),
  });
  client = new ClusterClient(ncA, { cluster, shards, deadlineMs: 5000, inFlightLimit: 1000 });
  client.deliverLocally(nodeA.localDelivery());
  spy = ncA.subscribe(`${cluster}.>`, {
    callback: (_err, msg) => {
      const id = msg.subject.split('.').pop()!;
      onTheWire.set(id, (onTheWire.get(id) ?? 0) + 1);
    },
  });
});

test.after(async () => {
  spy.unsubscribe();
  await nodeB?.stop();
  await nodeA.stop();
  await ncB?.close();
  await ncA.close();
  await removeNatsState(cluster);
});

test('asks to the shards served in this process never reach NATS, and the caller gets a copy of the state', async () => {
  const before = client.stats().local;
  await client.ask('counter', 'here', { op: 'add', by: 1 });
  const seen = await client.ask<CounterState>('counter', 'here', { op: 'get' });
  assert.is(seen.value, 1);
  seen.value = 999; // the caller's object, not the entity's state
  assert.is((await client.ask<CounterState>('counter', 'here', { op: 'get' })).value, 1);
  assert.is(client.stats().local - before, 3);
  await ncA.flush();
  assert.is(onTheWire.get('here') ?? 0, 0, 'no message on NATS');
});

test('askJson answers the JSON text of the answer, the same locally as over NATS', async () => {
  const overNats = new ClusterClient(ncA, { cluster, shards, deadlineMs: 5000, inFlightLimit: 100 });
  const before = client.stats().local;
  const local = await client.askJson('counter', 'json1', { op: 'add', by: 2 });
  assert.is(client.stats().local - before, 1);
  assert.type(local, 'string');
  assert.equal(JSON.parse(local), { value: 2, lastSeq: {}, outOfOrder: 0 });
  assert.is(await overNats.askJson('counter', 'json1', { op: 'get' }), await client.askJson('counter', 'json1', { op: 'get' }));
  assert.equal(await client.ask('counter', 'json1', { op: 'get' }), JSON.parse(local), 'ask still answers the value');
});

test('a local ask fails at its own deadline, like one over NATS', async () => {
  const { err, took } = await gate.askPastDeadline(client, 's1', 300);
  assert.instance(err, TimeoutError);
  assert.ok(took >= 290 && took < 800, `failed after ${took} ms`);
});

test('an id the node would not place on that shard is refused locally as over NATS (a client with other SHARDS)', async () => {
  const other = new ClusterClient(ncA, { cluster, shards: 12, deadlineMs: 2000, inFlightLimit: 100 });
  other.deliverLocally(nodeA.localDelivery());
  let id = '';
  for (let i = 0; id === ''; i++) if (shardOf(`x${i}`, 12) < shards && shardOf(`x${i}`, 12) !== shardOf(`x${i}`, shards)) id = `x${i}`;
  const err = await other.ask('counter', id, { op: 'add', by: 1 }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, InvalidError);
  assert.is(other.stats().local, 1, 'it was delivered locally, and refused there');
  assert.is(store.get(id), undefined, 'nothing applied');
});

test('once a shard moves to another node, its asks go over NATS to it, with the state it loaded', async () => {
  const ids = Array.from({ length: 24 }, (_, i) => `moved${i}`);
  for (const id of ids) await client.ask('counter', id, { op: 'add', by: 1 });
  assert.is(ids.reduce((n, id) => n + (onTheWire.get(id) ?? 0), 0), 0, 'all local while node a serves every shard');

  const connB = await natsConnection();
  ncB = connB;
  nodeB = await ClusterNode.start({
    nc: connB, cluster, nodeId: 'b', shards, leaseTtlMs: 2000, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog, entities: entities(),
  });
  const b = nodeB;
  // Settled, not merely split: every shard where placement puts it. A total of 8 is also
  // seen halfway through a rebalance, and a shard handed off after that would leave an ask
  // with no subscriber but the spy, which never answers (it hides "no responders").
  const settled = () => Array.from({ length: shards }, (_, s) => s)
    .every((s) => (rendezvousOwner(s, ['a', 'b']) === 'b' ? b : nodeA).ownedShards().includes(s));
  await eventually(settled, 15_000);
  // B's subscriptions are on the server before anything is sent to them.
  await connB.flush();
  const moved = ids.filter((id) => b.ownedShards().includes(shardOf(id, shards)));
  assert.ok(moved.length > 0 && moved.length < ids.length, `${moved.length} of ${ids.length} ids moved`);

  const localBefore = client.stats().local;
  for (const id of ids) {
    const after = await client.ask<CounterState>('counter', id, { op: 'add', by: 1 });
    assert.is(after.value, 2, `${id} continued from its stored state`);
  }
  await ncA.flush();
  for (const id of moved) assert.ok((onTheWire.get(id) ?? 0) > 0, `${id} was asked over NATS`);
  assert.is(client.stats().local - localBefore, ids.length - moved.length, 'the rest stayed local');
});

test('while an ask to an entity is on its way over NATS, the next one to it waits instead of overtaking it locally', async () => {
  let id = '';
  for (let i = 0; id === ''; i++) if (nodeA.ownedShards().includes(shardOf(`order${i}`, shards))) id = `order${i}`;
  gate.close();
  client.deliverLocally(undefined);
  const first = client.ask('slow', id, { op: 'x' }); // over NATS; the entity holds it
  await eventually(() => onTheWire.has(id), 2000, 5);
  client.deliverLocally(nodeA.localDelivery());
  const localBefore = client.stats().local;
  const second = client.ask('slow', id, { op: 'x' });
  await new Promise((r) => setTimeout(r, 50));
  assert.is(client.stats().local, localBefore, 'not sent while the first is in flight the other way');
  gate.open();
  assert.equal(await Promise.all([first, second]), ['done', 'done']);
  assert.is(client.stats().local, localBefore + 1, 'then sent locally');
});

test('a lease a local ask finds lapsed is given up at once; a late renewal does not bring it back', async () => {
  // The spy would count as a responder of the entity's subject and hide the "no responders"
  // that sends the ask round again while the shard has no owner.
  spy.unsubscribe();
  let id = '';
  for (let i = 0; id === ''; i++) if (nodeA.ownedShards().includes(shardOf(`lapsing${i}`, shards))) id = `lapsing${i}`;
  const shard = shardOf(id, shards);
  await client.ask('counter', id, { op: 'add', by: 1 });
  // What the node's own clock says between a renewal's deadline and its late confirmation.
  const lease = (nodeA as unknown as { leases: { held: Map<number, { sentMono: number; sentWall: number }> } }).leases.held.get(shard)!;
  const { sentMono, sentWall } = lease;
  lease.sentMono -= 60_000;
  lease.sentWall -= 60_000;
  const asked = client.ask<CounterState>('counter', id, { op: 'add', by: 1 }, { deadlineMs: 15_000 });
  await new Promise((r) => setImmediate(r));
  Object.assign(lease, { sentMono, sentWall }); // a confirmation arriving now must not revive it
  assert.not.ok(nodeA.ownedShards().includes(shard), 'the shard is no longer served here');
  // The shard is taken again through the lease protocol, and the ask lands exactly once.
  assert.is((await asked).value, 2);
});

test.run();
