// The analytics consumers' once-only script against the real Redis: each event counted
// once, whatever a batch holds: the same event twice, a string cut in half an emoji, or a
// malformed op (which must fail the call before anything is written, or the retry would
// skip events whose counts were never made).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OnceOnlyApplier, type EventOps, type Op } from '../actors/analytics/index.ts';
import { mergedOps } from '../actors/analytics/once-only.ts';
import { redisUrl } from './support/harness.ts';

const prefix = `test:once:${randomBytes(4).toString('hex')}`;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
const applier = new OnceOnlyApplier(redis, `${prefix}:seen:`);
const count = (key: string, member: string, by: number): Op => ['Z', `${prefix}:${key}`, member, by, 0, 0];

test.after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('counts of one call summed per key and member; an event sent twice, in one call or again, counts once', async () => {
  const applied = await applier.apply([
    { seq: 1, ops: [count('a', 'x', 2), count('a', 'y', 0.5)] },
    { seq: 2, ops: [count('a', 'x', 3)] },
    { seq: 2, ops: [count('a', 'x', 3)] },
  ]);
  assert.is(applied, 2);
  assert.is(Number(await redis.zscore(`${prefix}:a`, 'x')), 5);
  assert.is(Number(await redis.zscore(`${prefix}:a`, 'y')), 0.5);
  assert.is(await applier.apply([{ seq: 1, ops: [count('a', 'x', 2)] }]), 0, 'already seen');
  assert.is(Number(await redis.zscore(`${prefix}:a`, 'x')), 5);
});

test('half an emoji in a member is counted under U+FFFD instead of failing its batch', async () => {
  const cut = '😀'.slice(0, 1);
  assert.is(await applier.apply([{ seq: 10, ops: [count('q', `ab${cut}`, 1)] }, { seq: 11, ops: [count('q', 'plain', 1)] }]), 2);
  assert.is(Number(await redis.zscore(`${prefix}:q`, 'ab\ufffd')), 1);
  assert.is(Number(await redis.zscore(`${prefix}:q`, 'plain')), 1);
});

test('a malformed op fails the call before anything is written; the good events count once they come again', async () => {
  const good = { seq: 20, ops: [['A', `${prefix}:set`, 'member', 60, 0, 0] as Op, count('m', 'x', 1)] };
  const bad = { seq: 21, ops: [count('m', 'y', Number.NaN)] };
  const err = await applier.apply([good, bad]).then(() => undefined, (e: unknown) => e);
  assert.instance(err, Error);
  assert.match(String((err as Error).message), /malformed op in event 21/);
  assert.is(await redis.zscore(`${prefix}:m`, 'x'), null, 'nothing of the good event was written');
  assert.is(await redis.scard(`${prefix}:set`), 0, 'not even its ops that come before any count');
  assert.is(await applier.apply([good]), 1, 'and it was not marked seen either');
  assert.is(Number(await redis.zscore(`${prefix}:m`, 'x')), 1);
  assert.ok((await redis.ttl(`${prefix}:set`)) > 0, 'the set expires');
});

test("a pushed list holds each SKU once, at its latest time: a SKU bought again does not push the others out", async () => {
  const push = (entry: string): Op => ['L', `${prefix}:list`, entry, 2, 60, 0];
  const entries = ['1000:x', '2000:y', '3000:x', '4000:x'];
  await applier.apply(entries.map((entry, i) => ({ seq: 30 + i, ops: [push(entry)] })));
  assert.equal(await redis.lrange(`${prefix}:list`, 0, -1), ['4000:x', '2000:y'], 'x once, and y kept (as two places allow)');
  assert.ok((await redis.ttl(`${prefix}:list`)) > 0, 'and the list expires');
  // An event delivered again late, older than the entry of its SKU, changes nothing.
  await applier.apply([{ seq: 40, ops: [push('2500:x')] }]);
  assert.equal(await redis.lrange(`${prefix}:list`, 0, -1), ['4000:x', '2000:y']);
  // Pairing reads the list as before: z with x and with y, once each, both ways.
  await applier.apply([{ seq: 41, ops: [['P', `${prefix}:list`, 'z', 2, `${prefix}:co:`, 1500]] }]);
  assert.is(Number(await redis.zscore(`${prefix}:co:z`, 'x')), 2);
  assert.is(Number(await redis.zscore(`${prefix}:co:z`, 'y')), 2);
  assert.is(Number(await redis.zscore(`${prefix}:co:y`, 'z')), 2);
});

test('an event seen before makes its call go event by event: only the new one counts', async () => {
  await applier.apply([{ seq: 50, ops: [count('r', 'x', 1)] }]);
  assert.is(await applier.apply([{ seq: 50, ops: [count('r', 'x', 1)] }, { seq: 51, ops: [count('r', 'x', 10), count('r', 'y', 1)] }]), 1);
  assert.is(Number(await redis.zscore(`${prefix}:r`, 'x')), 11);
  assert.is(Number(await redis.zscore(`${prefix}:r`, 'y')), 1);
});

/** A sale's worth of ops under `p`: shared hourly counts, a category hash, per-user lists, pairings and sets. */
function saleEvents(p: string, n: number): EventOps[] {
  const events: EventOps[] = [];
  for (let i = 0; i < n; i++) {
    const user = `u${i % 7}`;
    const sku = `s${i % 3}`;
    const at = 1_000 + i;
    events.push({
      seq: 100 + i,
      ops: [
        ['Z', `${p}:orders:h`, sku, 1, 2_000_000_000 + (i % 5), 0],
        ['Z', `${p}:revenue:h`, 'books', 0.1 * (i + 1), 2_000_000_000, 0],
        ['Z', `${p}:pop`, sku, 1.5 ** (i % 4), 0, 0],
        // The last write of each field comes back to a value it had before.
        ['H', `${p}:cat`, sku, i % 2 === 0 || i >= n - 3 ? 'books' : 'games', 0, 0],
        ['P', `${p}:bought:${user}`, sku, 0.5, `${p}:co:`, 0],
        ['L', `${p}:bought:${user}`, `${at}:${sku}`, 3, 600, 0],
        ['A', `${p}:set:${user}`, sku, 600, 0, 0],
        ['Z', `${p}:hist:${user}`, sku, 5, 2_000_000_000, 2],
      ],
    });
  }
  return events;
}

/** Everything under `p`, with `p` cut off: each key's type, contents and whether it expires. */
async function dump(p: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${p}:*`)).sort()) {
    const type = await redis.type(key);
    const contents = type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES')
      : type === 'list' ? await redis.lrange(key, 0, -1)
        : type === 'hash' ? await redis.hgetall(key)
          : type === 'set' ? (await redis.smembers(key)).sort() : type;
    out[key.slice(p.length)] = { contents, expires: (await redis.ttl(key)) > 0 };
  }
  return out;
}

test('a call whose events are all new writes, merged, exactly what event by event writes', async () => {
  const events = saleEvents(`${prefix}:one`, 150);
  const merged = mergedOps(events)!;
  assert.ok(merged.filter((op) => op[0] === 'Z').length <= 3 + 3 + 1 + 7 * 3, 'counts summed per key and member');
  assert.is(merged.filter((op) => op[0] === 'H').length, 6, 'each hash write once per field and value');

  // The same call, once with an event seen before at its head (so the script goes through
  // it event by event, as before the merging) and once all new (merged).
  const eventByEvent = new OnceOnlyApplier(redis, `${prefix}:seen1:`, { coTtlSec: 600 });
  const redelivered = { seq: 99, ops: [] };
  assert.is(await eventByEvent.apply([redelivered]), 1);
  assert.is(await eventByEvent.apply([redelivered, ...events]), 150);
  const whole = new OnceOnlyApplier(redis, `${prefix}:seen2:`, { coTtlSec: 600 });
  assert.is(await whole.apply(saleEvents(`${prefix}:two`, 150)), 150);
  const [a, b] = [await dump(`${prefix}:one`), await dump(`${prefix}:two`)];
  assert.ok(Object.keys(a).length > 20);
  assert.equal(b, a);
});

test.run();
