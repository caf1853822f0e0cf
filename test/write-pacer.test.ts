// The NATS write pacer: a quiet connection is written at once, a busy one at most once per
// gap, and nothing published is lost or reordered on the way.
// run-tests: alone (it asserts how long the pacer holds a write, to the millisecond)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NatsConnection } from 'nats';
import { WritePacer, pace, pacerOf } from '../cluster/write-pacer.ts';
import { Requester } from '../cluster/requester.ts';
import { natsConnection } from './support/harness.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('a publish on a quiet connection goes at once, and so does the rest of its run', () => {
  const pacer = new WritePacer(50, 0);
  const sent: number[] = [];
  pacer.run(() => sent.push(1));
  pacer.run(() => sent.push(2));
  assert.equal(sent, [1, 2], 'both published before the run ends, so nats.js writes them together');
});

test('publishes within the gap wait for its end and go together, in order; a quiet one later goes at once', async () => {
  const pacer = new WritePacer(60, 0);
  const sent: string[] = [];
  const started = performance.now();
  pacer.run(() => sent.push('a'));
  await nextTurn();
  pacer.run(() => sent.push('b'));
  await nextTurn();
  pacer.run(() => sent.push('c'));
  assert.equal(sent, ['a'], 'b and c are held: the connection was written less than a gap ago');
  while (sent.length < 3) await sleep(5);
  const waited = performance.now() - started;
  assert.equal(sent, ['a', 'b', 'c']);
  assert.ok(waited >= 55 && waited < 200, `held until the gap ended: ${waited.toFixed(0)} ms`);
  await sleep(80);
  pacer.run(() => sent.push('d'));
  assert.equal(sent, ['a', 'b', 'c', 'd'], 'quiet for a gap again: no wait');
});

test('a publish that throws does not keep the others of its gap from going', async () => {
  const pacer = new WritePacer(30, 0);
  const sent: string[] = [];
  pacer.run(() => sent.push('first'));
  await nextTurn();
  pacer.run(() => {
    throw new Error('connection closed');
  });
  pacer.run(() => sent.push('after'));
  await sleep(60);
  assert.equal(sent, ['first', 'after']);
});

test('below the busy rate nothing waits: a lightly used connection is written at once', async () => {
  const pacer = new WritePacer(60, 1000); // busy from 100 publishes in 100 ms
  const sent: number[] = [];
  for (let i = 0; i < 20; i++) {
    pacer.run(() => sent.push(i));
    await nextTurn();
    assert.is(sent.length, i + 1, `publish ${i} went at once`);
  }
});

test('at the busy rate the pacer starts holding, and lets go again once the rate falls', async () => {
  const pacer = new WritePacer(40, 1000);
  let sent = 0;
  let heldOnce = false;
  const until = performance.now() + 400;
  while (performance.now() < until && !heldOnce) {
    // 150 publishes, each from its own turn, within about a bucket: well above 1,000/s.
    const before = sent;
    pacer.run(() => sent++);
    if (sent === before) heldOnce = true;
    await nextTurn();
  }
  assert.ok(heldOnce, 'a busy connection holds a publish that follows a write within the gap');
  await sleep(250); // two quiet buckets
  const before = sent;
  pacer.run(() => sent++);
  assert.is(sent, before + 1, 'quiet again: at once');
});

test('a gap of 0 never holds a publish', async () => {
  const pacer = new WritePacer(0);
  const sent: number[] = [];
  for (let i = 0; i < 5; i++) {
    pacer.run(() => sent.push(i));
    await nextTurn();
  }
  assert.equal(sent, [0, 1, 2, 3, 4]);
});

let nc: NatsConnection;
test.before(async () => {
  nc = await natsConnection();
});
test.after(async () => {
  await nc.close();
});

test('over NATS: a lone request is not held, requests close behind it are held to the gap, and all are answered', async () => {
  const subject = `t.pacer.${process.pid}`;
  const sub = nc.subscribe(subject, { callback: (_err, msg) => msg.respond(msg.data) });
  await nc.flush();
  const gapMs = 150;
  const requester = new Requester(nc, 10, new WritePacer(gapMs, 0));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  try {
    let started = performance.now();
    const lone = await requester.request(subject, encoder.encode('lone'), 2000);
    const loneMs = performance.now() - started;
    assert.is(decoder.decode(lone.data), 'lone');
    assert.ok(loneMs < gapMs / 2, `a lone request goes at once: ${loneMs.toFixed(0)} ms`);

    // Twenty requests, each from its own turn of the event loop, as HTTP requests arrive.
    started = performance.now();
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push(requester.request(subject, encoder.encode(`r${i}`), 2000).then((m) => decoder.decode(m.data)));
      await nextTurn();
    }
    const replies = await Promise.all(answers);
    const burstMs = performance.now() - started;
    assert.equal(replies, Array.from({ length: 20 }, (_, i) => `r${i}`), 'every request answered with its own reply');
    assert.ok(burstMs >= gapMs * 0.5, `the burst behind the lone request waited for the gap: ${burstMs.toFixed(0)} ms`);
    assert.ok(burstMs < gapMs * 4, `and only for about one gap: ${burstMs.toFixed(0)} ms`);
  } finally {
    sub.unsubscribe();
  }
});

test('what the pacer holds goes out before its connection drains: a leaving node still sends its last answers', async () => {
  const sender = await natsConnection();
  const receiver = await natsConnection();
  const subject = `pacer.drain.${process.pid}.${Date.now()}`;
  const got: string[] = [];
  try {
    receiver.subscribe(subject, { callback: (_err, m) => got.push(m.string()) });
    await receiver.flush();
    // A gap of 10 s, busy from the start: the second publish is held far past the drain.
    pace(sender, 10_000, 0);
    const pacer = pacerOf(sender);
    pacer.run(() => sender.publish(subject, 'first'));
    await nextTurn();
    pacer.run(() => sender.publish(subject, 'held'));
    assert.is(pacer.stats.held, 1, 'the second publish is held');
    await sender.drain();
    for (let i = 0; i < 100 && got.length < 2; i++) await sleep(20);
    assert.equal(got, ['first', 'held'], 'the held publish was sent before the connection closed');
  } finally {
    pacerOf(sender).flush();
    if (!sender.isClosed()) await sender.close();
    await receiver.drain();
  }
});

test.run();
