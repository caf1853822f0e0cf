// A stream's consumer and an event that can never be applied (MariaDB refuses its data: a
// value too long, a CHECK). The whole batch it was in failed and was redelivered, and every
// batch it was redelivered in failed again: the projection (the catalog's documents, say)
// stopped for good at that event. Now the events before it are applied, it is set aside
// after a few tries, and the stream goes on; a store that is merely down is waited out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RetentionPolicy, StorageType, type JsMsg, type NatsConnection } from 'nats';
import { consumeBatches, poisonAfterTries, type RunningConsumer } from '../stores/events/consumer.ts';
import { eventually, natsConnection, removeNatsState, testLog } from './support/harness.ts';

const cluster = `poison${process.pid}`;
const stream = `${cluster.toUpperCase()}_EVENTS`;
let nc: NatsConnection;

test.before(async () => {
  nc = await natsConnection();
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${cluster}.ev.>`], retention: RetentionPolicy.Limits, storage: StorageType.Memory });
});

test.after(async () => {
  await nc.close();
  await removeNatsState(cluster);
});

/** Applies events whose text is not "bad" and not a refused "down"; counts what each try saw. */
function projection(downFor: number) {
  const applied: string[] = [];
  const tries = new Map<string, number>();
  const handle = async (batch: JsMsg[]) => {
    const texts = batch.map((m) => m.string());
    for (const t of texts) tries.set(t, (tries.get(t) ?? 0) + 1);
    // An event that is not JSON fails its handler's parse, as `m.json()` would.
    for (const m of batch) if (m.string().startsWith('{')) m.json();
    // Refused as the store would: for its data (SQLSTATE 22001), or while it is down.
    if (texts.includes('bad')) throw Object.assign(new Error("Data too long for column 'doc'"), { sqlState: '22001', errno: 1406 });
    if (texts.includes('down') && tries.get('down')! <= downFor) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    applied.push(...texts);
  };
  return { applied, tries, handle };
}

async function publish(subject: string, texts: string[]): Promise<void> {
  const js = nc.jetstream();
  for (const t of texts) await js.publish(`${cluster}.ev.${subject}`, new TextEncoder().encode(t));
}

for (const durable of [true, false]) {
  test(`${durable ? 'a durable' : 'an ordered'} consumer: an event refused for its data is set aside after ${poisonAfterTries} tries, the others are applied in order, a store down is waited out`, async () => {
    const subject = durable ? 'd' : 'o';
    const p = projection(poisonAfterTries + 1);
    // The first ones published before the consumer starts, so they come in one batch with
    // the bad one; the rest while it is being tried, so they queue behind it.
    await publish(subject, ['a', 'b', 'bad', '{not json', 'c']);
    const jsm = await nc.jetstreamManager();
    let consumer: RunningConsumer | undefined;
    try {
      consumer = await consumeBatches({
        js: nc.jetstream(), jsm, stream, filterSubject: `${cluster}.ev.${subject}`, log: testLog, handle: p.handle,
        // A short ack wait, shorter than the store stays down: the held events must not come
        // back as redeliveries behind newer ones (applied twice, or out of order).
        ...(durable ? { durable: `poison_${subject}`, ackWaitMs: 1500 } : {}),
      });
      await eventually(async () => (p.tries.get('bad') ?? 0) >= 2, 10_000, 20);
      await publish(subject, ['down', 'd']);
      await eventually(async () => p.applied.includes('d'), 30_000, 100);
      assert.equal(p.applied, ['a', 'b', 'c', 'down', 'd'], 'every other event, once each, in the stream\'s order');
      // The bad one: each round in its batch and then alone, until set aside.
      const badTries = p.tries.get('bad')!;
      assert.ok(badTries >= poisonAfterTries && badTries <= 2 * poisonAfterTries, String(badTries));
      // So is the one that is not JSON.
      assert.ok(p.tries.get('{not json')! >= poisonAfterTries, String(p.tries.get('{not json')));
      // "down" failed more times than a bad event is given, and was still applied.
      assert.ok(p.tries.get('down')! > poisonAfterTries + 1);
      if (durable) {
        const info = await jsm.consumers.info(stream, `poison_${subject}`);
        assert.is(info.num_ack_pending, 0, 'nothing left unacknowledged');
        assert.is(info.num_pending, 0);
      }
    } finally {
      await consumer?.stop();
    }
  });
}

test.run();
