// Streams keep what their replays need, and projections never go backwards, against the
// real NATS (JetStream) and Redis: CATALOG keeps each SKU's latest document for ever, also
// when the stream was created by an older version with an age limit; SEARCH still ages
// out; the out-of-stock set ignores a level older than the one it applied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RetentionPolicy, StorageType, nanos, type NatsConnection } from 'nats';
import { Redis } from 'ioredis';
import { OutOfStockSet, outOfStockProjection } from '../actors/catalog/index.ts';
import { startCardsProjection } from '../actors/homepage/cards.ts';
import { homepageKeys } from '../actors/homepage/keys.ts';
import { catalogStream, ensureStream, inventoryStream, searchStream } from '../stores/events/index.ts';
import { eventually, freshEnv, natsConnection, redisUrl, sleep, testLog, type TestEnv } from './support/harness.ts';

let env: TestEnv;
let nc: NatsConnection;
let redis: Redis;

test.before(async () => {
  env = await freshEnv('streams');
  nc = await natsConnection();
  redis = new Redis(redisUrl);
});

test.after(async () => {
  redis.disconnect();
  await nc.close();
  await env.cleanup();
});

const week = nanos(7 * 24 * 3600_000);

test('CATALOG created by an older version (7-day age limit) is brought to latest-per-SKU for ever on start', async () => {
  const stream = catalogStream(env.cluster);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({
    name: stream.name, subjects: [stream.subjects], retention: RetentionPolicy.Limits, storage: StorageType.File,
    max_age: week, duplicate_window: nanos(3600_000),
  });
  const js = nc.jetstream();
  for (const v of [1, 2, 3]) await js.publish(stream.subject('product', 'SKU-A'), JSON.stringify({ sku: 'SKU-A', v }));
  await js.publish(stream.subject('product', 'SKU-B'), JSON.stringify({ sku: 'SKU-B', v: 1 }));

  await ensureStream(jsm, stream);
  const info = await jsm.streams.info(stream.name);
  assert.is(info.config.max_age, 0, 'no age limit');
  assert.is(info.config.max_msgs_per_subject, 1, 'the latest message per SKU');
  assert.is(info.state.messages, 2, 'one message per SKU is left');
  const latest = await jsm.streams.getMessage(stream.name, { last_by_subj: stream.subject('product', 'SKU-A') });
  assert.is((latest.json() as { v: number }).v, 3, 'and it is the newest');

  // Idempotent: a second start changes nothing.
  await ensureStream(jsm, stream);
  assert.is((await jsm.streams.info(stream.name)).state.messages, 2);
});

test('a fresh CATALOG keeps latest per SKU for ever; SEARCH, a pure log, still ages out', async () => {
  const jsm = await nc.jetstreamManager();
  const other = `${env.cluster}x`;
  try {
    await ensureStream(jsm, catalogStream(other));
    await ensureStream(jsm, searchStream(other));
    const catalog = (await jsm.streams.info(catalogStream(other).name)).config;
    assert.equal([catalog.max_age, catalog.max_msgs_per_subject], [0, 1]);
    const search = (await jsm.streams.info(searchStream(other).name)).config;
    assert.is(search.max_age, week);
    assert.ok(search.max_msgs_per_subject <= 0, 'no per-subject limit on a log');
    // Search ids are kept two minutes (a search asked again counts once), not the hour the
    // outbox's streams keep: an id per search for an hour is server memory for nothing.
    assert.equal([search.duplicate_window, catalog.duplicate_window], [nanos(120_000), nanos(3600_000)]);
    // A SEARCH stream made before with the hour is brought to two minutes on start.
    await jsm.streams.update(searchStream(other).name, { ...search, duplicate_window: nanos(3600_000) });
    await ensureStream(jsm, searchStream(other));
    assert.is((await jsm.streams.info(searchStream(other).name)).config.duplicate_window, nanos(120_000));
  } finally {
    await jsm.streams.delete(catalogStream(other).name).catch(() => undefined);
    await jsm.streams.delete(searchStream(other).name).catch(() => undefined);
  }
});

test('a redelivered older level cannot take a sold-out SKU out of the out-of-stock set', async () => {
  const stream = inventoryStream(env.cluster);
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, stream);
  const set = new OutOfStockSet(redis, env.cluster);
  const js = nc.jetstream();
  const level = (sku: string, version: number, available: number) =>
    js.publish(stream.subject('level', sku), JSON.stringify({ kind: 'level', sku, version, available, onHand: available, reserved: 0, at: Date.now() }));
  // Sold out at version 7; then the batch of version 6 (5 available) arrives again late,
  // as a failed consumer batch redelivered after newer ones.
  await level('OOS-LATE', 7, 0);
  await level('OOS-LATE', 6, 5);
  await level('OOS-BACK', 3, 0);
  await level('OOS-BACK', 4, 2);
  const job = outOfStockProjection({ nc, cluster: env.cluster, set, log: testLog }).start();
  try {
    await eventually(async () => {
      const c = await jsm.consumers.info(stream.name, 'catalog-oos').catch(() => undefined);
      return c !== undefined && c.num_pending === 0 && c.num_ack_pending === 0;
    }, 15_000);
    await sleep(100);
    assert.ok(await set.has('OOS-LATE'), 'still out of stock: the older level was ignored');
    assert.not.ok(await set.has('OOS-BACK'), 'a newer level does bring a SKU back');
    // And the same through the set directly: a stale batch after a newer one.
    await set.apply([{ sku: 'OOS-DIRECT', available: 0, version: 10 }]);
    await set.apply([{ sku: 'OOS-DIRECT', available: 9, version: 9 }, { sku: 'OOS-DIRECT', available: 8, version: 10 }]);
    assert.ok(await set.has('OOS-DIRECT'));
    await set.apply([{ sku: 'OOS-DIRECT', available: 1, version: 11 }]);
    assert.not.ok(await set.has('OOS-DIRECT'));
  } finally {
    await job.stop();
  }
});

test('the homepage\'s stock levels are newest-wins too: a level that comes after a newer one changes nothing', async () => {
  // A durable consumer's new owner after a crash gets the events the old one did not hold
  // first; the held ones come back after their ack wait and were applied last.
  const stream = inventoryStream(env.cluster);
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, stream);
  const js = nc.jetstream();
  const level = (sku: string, version: number, available: number) =>
    js.publish(stream.subject('level', sku), JSON.stringify({ kind: 'level', sku, version, available, onHand: available, reserved: 0, at: Date.now() }));
  await level('HP-LATE', 12, 0);
  await level('HP-LATE', 11, 40);
  await level('HP-UP', 3, 1);
  await level('HP-UP', 4, 25);
  const keys = homepageKeys(env.cluster);
  const consumers = await startCardsProjection({ nc, cluster: env.cluster, redis, keys, log: testLog, onChange: () => undefined });
  try {
    await eventually(async () => {
      const c = await jsm.consumers.info(stream.name, 'homepage-stock').catch(() => undefined);
      return c !== undefined && c.num_pending === 0 && c.num_ack_pending === 0;
    }, 15_000);
    await sleep(100);
    assert.equal(await redis.hmget(keys.available, 'HP-LATE', 'HP-UP'), ['0', '25'], 'the newest level of each, whatever the order they came in');
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
  }
});

test.run();
