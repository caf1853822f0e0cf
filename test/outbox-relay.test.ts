// The outbox relay against the real MariaDB and JetStream: every committed event reaches
// its stream exactly once, each entity's events in the order they were committed, also
// when a publish fails in the middle of a window of publishes sent together.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import pino from 'pino';
import { OutboxRelay, ensureStream, ordersStream, streamPublisher, type StreamPublish } from '../stores/events/index.ts';
import { freshDatabase, natsConnection, removeNatsState } from './support/harness.ts';

const db = freshDatabase(test, 'outbox_relay');
const cluster = `t_relay_${process.pid}`;
const stream = ordersStream(cluster);
const log = pino({ level: 'silent' });
let nc: NatsConnection;

test.before(async () => {
  nc = await natsConnection();
  await ensureStream(await nc.jetstreamManager(), stream);
});
test.after(async () => {
  await nc.close();
  await removeNatsState(cluster);
});

/**
 * Commits events for `orders` orders, `perOrder` each, interleaved as a sale writes them:
 * `together` orders at a time take each step, so one order's next event is that many rows on.
 */
async function commitEvents(prefix: string, orders: number, perOrder: number, together = orders): Promise<void> {
  const rows: [string, string][] = [];
  for (let first = 0; first < orders; first += together) {
    for (let step = 0; step < perOrder; step++) {
      for (let o = first; o < Math.min(orders, first + together); o++) rows.push([stream.subject(`step${step}`, `${prefix}${o}`), JSON.stringify({ order: `${prefix}${o}`, step })]);
    }
  }
  await db.pool.query('INSERT INTO outbox (subject, payload) VALUES ?', [rows]);
}

/** Every event stored for orders named `prefix…`, in stream order. */
async function stored(prefix: string): Promise<{ order: string; step: number }[]> {
  const jsm = await nc.jetstreamManager();
  const name = `check_${prefix}_${Date.now()}`;
  await jsm.consumers.add(stream.name, { name, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 60_000_000_000 });
  const consumer = await nc.jetstream().consumers.get(stream.name, name);
  const total = (await consumer.info()).num_pending;
  const out: { order: string; step: number }[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      const e = m.json<{ order: string; step: number }>();
      if (e.order.startsWith(prefix)) out.push(e);
      else out.push({ order: '', step: -1 }); // another test's event: counted, then dropped below
    }
    if (got === 0) break;
  }
  await jsm.consumers.delete(stream.name, name);
  return out.filter((e) => e.order !== '');
}

async function relayAll(relay: OutboxRelay): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      if ((await relay.relayOnce()) === 0) return;
    } catch {
      // A failed publish: the next page starts again from it, as the relay's loop does.
    }
  }
  throw new Error('the relay did not drain the outbox');
}

function assertEachOrderInSequence(events: { order: string; step: number }[], orders: number, perOrder: number): void {
  const seen = new Map<string, number[]>();
  for (const e of events) seen.set(e.order, [...(seen.get(e.order) ?? []), e.step]);
  assert.is(seen.size, orders, 'every order has events');
  for (const [order, steps] of seen) assert.equal(steps, Array.from({ length: perOrder }, (_, i) => i), `${order}: each event once, in commit order`);
}

test('a sale\'s interleaved events reach the stream once each, every order\'s in commit order, in windows', async () => {
  await commitEvents('a', 200, 3);
  const publish = streamPublisher(nc);
  let concurrent = 0;
  let most = 0;
  const counting: StreamPublish = async (subject, data, id) => {
    most = Math.max(most, ++concurrent);
    try {
      await publish(subject, data, id);
    } finally {
      concurrent--;
    }
  };
  const relay = new OutboxRelay(db.pool, counting, log, { inFlight: 64 });
  await relayAll(relay);
  assert.is(relay.published, 600);
  assert.ok(most > 1 && most <= 64, `publishes sent together, at most a window: ${most}`);
  const events = await stored('a');
  assert.is(events.length, 600);
  assertEachOrderInSequence(events, 200, 3);
  const [left] = await db.pool.query('SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL');
  assert.is(Number((left as { n: number }[])[0]!.n), 0, 'every row marked published');
});

test('a publish that fails mid-window: nothing lost, nothing doubled, no order\'s events out of order', async () => {
  // Five orders at a time: a window of 32 rows would hold each of them several times over.
  await commitEvents('b', 50, 4, 5);
  const publish = streamPublisher(nc);
  const failOnce = new Set([`${stream.subject('step1', 'b7')}`, `${stream.subject('step2', 'b30')}`]);
  const failing: StreamPublish = async (subject, data, id) => {
    if (failOnce.delete(subject)) {
      // The failed one's neighbours in its window are stored meanwhile.
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('publishing failed: timeout');
    }
    await publish(subject, data, id);
  };
  const relay = new OutboxRelay(db.pool, failing, log, { inFlight: 32 });
  await relayAll(relay);
  assert.is(failOnce.size, 0, 'both failures happened');
  const events = await stored('b');
  assert.is(events.length, 200, 'each event stored once: the ones sent again after a failure were dropped as duplicates');
  assertEachOrderInSequence(events, 50, 4);
});

test.run();
