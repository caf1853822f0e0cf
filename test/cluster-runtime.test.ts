// The cluster runtime in one process against the real NATS: ordering under concurrency,
// malformed messages, passivation, mailbox bounds and deadlines.
// run-tests: alone (it asserts deadlines and refusals within a second)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from 'nats';
import {
  ClusterClient, ClusterNode, InvalidError, OverloadedError, TimeoutError, shardOf,
} from '../cluster/index.ts';
import { JsonText, decodeReply, encodeReply, type WireReply } from '../cluster/wire.ts';
import { entitySubject } from '../cluster/addressing.ts';
import { gatedEntity } from './support/gated.ts';
import { counterEntity, type CounterState } from './support/counter.ts';
import { eventually, natsConnection, orAfter, removeNatsState, testLog } from './support/harness.ts';

const cluster = `t_runtime_${process.pid}`;
const shards = 8;
let nc: NatsConnection;
let node: ClusterNode;
let client: ClusterClient;
const store = new Map<string, CounterState>();
let activations = 0;

const gate = gatedEntity();

test.before(async () => {
  nc = await natsConnection();
  const counter = counterEntity({ store, asyncGap: true, idleTimeoutMs: 300 });
  const countingActivate = counter.activate;
  node = await ClusterNode.start({
    nc, cluster, nodeId: 'solo', shards, leaseTtlMs: 2000, mailboxLimit: 100, idleTimeoutMs: 60_000, log: testLog,
    entities: [{ ...counter, activate: (id, ctx) => { activations++; return countingActivate(id, ctx); } }, gate.entity],
  });
  client = new ClusterClient(nc, { cluster, shards, deadlineMs: 5000, inFlightLimit: 20_000 });
});

test.after(async () => {
  await node.stop();
  await nc.close();
  await removeNatsState(cluster);
});

test('a single node takes every shard', () => {
  assert.equal(node.ownedShards(), [...Array(shards).keys()]);
});

test('10,000 asks from 50 concurrent callers to one entity are applied one at a time, each caller in order', async () => {
  const callers = 50;
  const perCaller = 200;
  await Promise.all(Array.from({ length: callers }, async (_, c) => {
    for (let seq = 0; seq < perCaller; seq++) {
      await client.ask('counter', 'ordered', { op: 'add', by: 1, caller: `c${c}`, seq });
    }
  }));
  const state = await client.ask<CounterState>('counter', 'ordered', { op: 'get' });
  assert.is(state.value, callers * perCaller, 'no update lost to interleaving');
  assert.is(state.outOfOrder, 0, 'no caller saw its messages reordered');
  for (let c = 0; c < callers; c++) assert.is(state.lastSeq[`c${c}`], perCaller - 1);
  // Coalescing: far fewer NATS requests than asks.
  assert.ok(client.stats().requests < callers * perCaller, `requests ${client.stats().requests}`);
});

test('concurrent asks issued together share NATS messages and each gets its own answer', async () => {
  const before = client.stats().requests;
  const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.ask<CounterState>('counter', 'shared', { op: 'add', by: i + 1 })));
  const values = answers.map((a) => a.value).sort((a, b) => a - b);
  assert.is(values[values.length - 1], (100 * 101) / 2);
  assert.is(new Set(values).size, 100, 'each caller saw the state right after its own add');
  assert.ok(client.stats().requests - before <= 5, `used ${client.stats().requests - before} requests for 100 asks`);
});

/** The outcomes of a reply with each value parsed, whichever way it travelled. */
function outcomesOf(reply: WireReply): unknown[] {
  if ('e' in reply) return [reply];
  return reply.r.map((o) => ('e' in o ? { e: o.e.code } : 'v' in o ? { v: o.v instanceof JsonText ? JSON.parse(o.v.text) : o.v } : 'absent'));
}

test('a node frames its reply for a caller that asks (f: 1) and answers plain JSON otherwise, with the same outcomes', async () => {
  const caller = 'κόσμος 🙂 "quoted"\n';
  const m = [{ op: 'add', by: 2, caller, seq: 0 }, { op: 'bogus' }, { op: 'get' }];
  const subject = entitySubject(cluster, 'counter', shardOf('framed', shards), 'framed');
  const ask = async (f: boolean) => (await nc.request(subject, new TextEncoder().encode(JSON.stringify({ d: Date.now() + 5000, m, ...(f ? { f: 1 } : {}) })), { timeout: 5000 })).data;
  const framed = await ask(true);
  const plain = await ask(false);
  assert.is(framed[0], 1, 'framed: starts with the mark byte');
  assert.is(plain[0], '{'.charCodeAt(0), 'not asked for: plain JSON, as a caller of an older version reads it');
  const a = outcomesOf(decodeReply(framed, 3));
  const b = outcomesOf(decodeReply(plain, 3));
  assert.equal((a[0] as { v: CounterState }).v.lastSeq, { [caller]: 0 });
  assert.equal(a[1], { e: 'invalid' });
  assert.equal((a[2] as { v: CounterState }).v.value, 2);
  assert.equal((b[2] as { v: CounterState }).v.value, 4, 'the plain request was applied as well');
  assert.equal((b[0] as { v: CounterState }).v.lastSeq, { [caller]: 0 });
  assert.equal(b[1], { e: 'invalid' });
});

test('a framed reply keeps absent values absent, and a cut or padded one is an error, not wrong values', () => {
  const reply: WireReply = { r: [{ v: { a: 'é' } }, { v: undefined }, { e: { code: 'rejected_x', message: 'no', retryable: false } }, { v: null }, { v: '🙂' }] };
  const data = encodeReply(reply, true);
  assert.equal(outcomesOf(decodeReply(data, 5)), [{ v: { a: 'é' } }, 'absent', { e: 'rejected_x' }, { v: null }, { v: '🙂' }]);
  assert.equal(outcomesOf(decodeReply(encodeReply(reply, false), 5)), [{ v: { a: 'é' } }, 'absent', { e: 'rejected_x' }, { v: null }, { v: '🙂' }]);
  const text = new TextDecoder().decode(data);
  for (const broken of [text.slice(0, -1), `${text} `, text.replace('\n', ''), text]) {
    const decoded = decodeReply(new TextEncoder().encode(broken), broken === text ? 4 : 5);
    assert.ok('e' in decoded && decoded.e.code === 'internal', `rejected: ${JSON.stringify(broken)}`);
  }
});

test('a value an entity answers as JSON text it encoded before arrives as that value, framed or plain', () => {
  const kept = new JsonText(JSON.stringify({ items: [{ sku: 'A', title: 'Kettle é' }], subtotal: 3 }));
  const reply: WireReply = { r: [{ v: kept }, { v: 2 }] };
  const framed = decodeReply(encodeReply(reply, true), 2);
  assert.is(((framed as { r: { v: JsonText }[] }).r[0]!.v).text, kept.text, 'framed: the text as the entity encoded it');
  assert.equal(outcomesOf(framed), [{ v: { items: [{ sku: 'A', title: 'Kettle é' }], subtotal: 3 } }, { v: 2 }]);
  assert.equal(outcomesOf(decodeReply(encodeReply(reply, false), 2)), [{ v: { items: [{ sku: 'A', title: 'Kettle é' }], subtotal: 3 } }, { v: 2 }]);
});

test('a malformed message on an entity subject gets a typed invalid reply and the node keeps serving', async () => {
  const subject = `${cluster}.counter.${shardOf('m1', shards)}.m1`;
  const garbage = await nc.request(subject, new TextEncoder().encode('{not json'), { timeout: 2000 });
  const reply = JSON.parse(new TextDecoder().decode(garbage.data)) as { e: { code: string; retryable: boolean } };
  assert.is(reply.e.code, 'invalid');
  assert.is(reply.e.retryable, false);
  const wrongShape = await nc.request(subject, new TextEncoder().encode('{"m":"x"}'), { timeout: 2000 });
  assert.match(new TextDecoder().decode(wrongShape.data), /"code":"invalid"/);
  try {
    await client.ask('counter', 'm1', { op: 'explode' });
    assert.unreachable('should have been refused');
  } catch (err) {
    assert.instance(err, InvalidError);
    assert.match((err as Error).message, /op must be/);
  }
  const wrongShard = await nc.request(`${cluster}.counter.${(shardOf('m1', shards) + 1) % shards}.m1`, new TextEncoder().encode('{"d":9e15,"m":[{"op":"get"}]}'), { timeout: 2000 });
  assert.match(new TextDecoder().decode(wrongShard.data), /SHARDS/);
  const after = await client.ask<CounterState>('counter', 'm1', { op: 'add', by: 2 });
  assert.is(after.value, 2);
});

test('an invalid entity id is refused before it is sent', async () => {
  try {
    await client.ask('counter', 'has space', { op: 'get' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, InvalidError);
  }
});

test('an idle entity is passivated and comes back with its state reloaded', async () => {
  await client.ask('counter', 'sleepy', { op: 'add', by: 41 });
  const activationsBefore = activations;
  const passivationsBefore = node.stats().passivations;
  // The counter's idle timeout is 300 ms. Wait for no counter to be left active, sleepy
  // included: counters of earlier tests passivate meanwhile too, so one passivation more
  // does not say it was sleepy's.
  await eventually(() => node.stats().passivations > passivationsBefore && (node.actorsByType().counter ?? 0) === 0, 3000);
  const state = await client.ask<CounterState>('counter', 'sleepy', { op: 'add', by: 1 });
  assert.is(state.value, 42, 'state survived passivation');
  assert.ok(activations > activationsBefore, 'the entity was activated again');
});

test('a full mailbox answers overloaded at once instead of queueing', async () => {
  gate.close();
  // The node's mailbox limit is 100 messages: send 50 a turn for 6 turns while the
  // entity is stuck; what does not fit must be refused at once, what fits must be served.
  const started = Date.now();
  const asks: Promise<{ err?: unknown }>[] = [];
  for (let turn = 0; turn < 6; turn++) {
    for (let i = 0; i < 50; i++) asks.push(client.ask('slow', 's1', { op: 'x' }, { deadlineMs: 10_000 }).then(() => ({}), (err: unknown) => ({ err })));
    await new Promise((r) => setTimeout(r, 20));
  }
  const settledEarly = await orAfter(Promise.all(asks.slice(-50)), 2000, 'pending');
  const refusedAt = Date.now() - started;
  gate.open();
  const results = await Promise.all(asks);
  assert.not.equal(settledEarly, 'pending', 'the refused asks did not wait for the stuck entity');
  const refused = results.filter((r) => r.err);
  const served = results.filter((r) => !r.err);
  assert.ok(refused.length >= 100, `refused ${refused.length}`);
  assert.ok(served.length >= 50 && served.length <= 150, `served ${served.length}`);
  for (const r of refused) assert.instance(r.err, OverloadedError);
  assert.ok(refusedAt < 10_000);
});

test('the in-flight bound of a client refuses at once with overloaded', async () => {
  const small = new ClusterClient(nc, { cluster, shards, deadlineMs: 2000, inFlightLimit: 10 });
  gate.close();
  const asks = Array.from({ length: 11 }, () => small.ask('slow', 's2', { op: 'x' }));
  const last = await asks[10]!.then(() => 'ok', (e: unknown) => e);
  gate.open();
  await Promise.allSettled(asks);
  assert.instance(last, OverloadedError);
});

test('an ask past its deadline fails with a typed timeout within the deadline', async () => {
  const { err, took } = await gate.askPastDeadline(client, 's3', 300);
  assert.instance(err, TimeoutError);
  assert.ok(took < 1000, `took ${took} ms`);
});

test('an ask that expired waiting behind its entity\'s request, never sent, is refused as overloaded: nothing was applied', async () => {
  const oneAtATime = new ClusterClient(nc, { cluster, shards, deadlineMs: 10_000, inFlightLimit: 100, maxRequestsPerEntity: 1 });
  gate.close();
  const first = oneAtATime.ask('slow', 's4', { op: 'x' });
  await new Promise((r) => setTimeout(r, 20)); // the first is on its way; the next one waits
  const started = Date.now();
  const err = await oneAtATime.ask('slow', 's4', { op: 'x' }, { deadlineMs: 300 }).then(() => undefined, (e: unknown) => e);
  const took = Date.now() - started;
  gate.open();
  assert.is(await first, 'done');
  // "timeout" would tell the gateway the outcome is unknown, and it would hold the client's
  // idempotency key for a minute over a request that never left this process.
  assert.instance(err, OverloadedError);
  assert.ok(took < 1000, `refused after ${took} ms`);
  assert.is(oneAtATime.stats().requests, 1, 'only the first was sent');
});

test.run();
