// The analytics consumers' once-only script against the real Redis: each event counted
// once, whatever a batch holds: the same event twice, a string cut in half an emoji, or a
// malformed op (which must fail the call before anything is written, or the retry would
// skip events whose counts were never made).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { OnceOnlyApplier, type Op } from '../actors/analytics/index.ts';
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
});

test("a pushed list holds each SKU once, at its latest time: a SKU bought again does not push the others out", async () => {
  const push = (entry: string): Op => ['L', `${prefix}:list`, entry, 2, 60, 0];
  const entries = ['1000:x', '2000:y', '3000:x', '4000:x'];
  await applier.apply(entries.map((entry, i) => ({ seq: 30 + i, ops: [push(entry)] })));
  assert.equal(await redis.lrange(`${prefix}:list`, 0, -1), ['4000:x', '2000:y'], 'x once, and y kept (as two places allow)');
  // An event delivered again late, older than the entry of its SKU, changes nothing.
  await applier.apply([{ seq: 40, ops: [push('2500:x')] }]);
  assert.equal(await redis.lrange(`${prefix}:list`, 0, -1), ['4000:x', '2000:y']);
  // Pairing reads the list as before: z with x and with y, once each, both ways.
  await applier.apply([{ seq: 41, ops: [['P', `${prefix}:list`, 'z', 2, `${prefix}:co:`, 1500]] }]);
  assert.is(Number(await redis.zscore(`${prefix}:co:z`, 'x')), 2);
  assert.is(Number(await redis.zscore(`${prefix}:co:z`, 'y')), 2);
  assert.is(Number(await redis.zscore(`${prefix}:co:y`, 'z')), 2);
});

test.run();
