// Once-only counting under crash and replay: an actor node whose analytics or trainer
// consumers die between a batch's Redis step and its acknowledgement (ANALYTICS_FAILPOINT=mid_batch),
// then two fresh nodes that resume from the durable positions. The counts must equal the
// events published, no more and no less, for the analytics counts and the trainer's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { ensureStream, eventsStream, searchStream } from '../stores/events/index.ts';
import { AnalyticsReports } from '../actors/analytics/index.ts';
import { RecKeys, decay } from '../actors/recommendations/index.ts';
import { eventually, freshEnv, natsConnection, redisUrl, startProcess, type Proc, type TestEnv } from './support/harness.ts';

let env: TestEnv;
let redis: Redis;
const procs: Proc[] = [];

test.before(async () => {
  env = await freshEnv('anreplay', { ANALYTICS_ACK_WAIT_MS: '1000' });
  redis = new Redis(redisUrl);
});
test.after(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  redis?.disconnect();
  await env?.cleanup();
});

test('a consumer killed mid-batch and replayed on two other nodes counts every event exactly once', async () => {
  const queries = ['red shoes', 'blue shoes', 'kettle', 'lamp', 'desk', 'chair'];
  const skus = ['R-1', 'R-2', 'R-3', 'R-4'];
  const expectedSearches = new Map<string, number>();
  const expectedViews = new Map<string, number>();
  const expectedPop = new Map<string, number>();
  const nc = await natsConnection();
  const jsm = await nc.jetstreamManager();
  const search = searchStream(env.cluster);
  const events = eventsStream(env.cluster);
  await ensureStream(jsm, search);
  await ensureStream(jsm, events);
  const js = nc.jetstream();
  const enc = new TextEncoder();
  const at = Date.now();
  // Published in small rounds with message ids: a busy server may time a publish out, and
  // the retry must not store the event twice.
  const pending: Array<[string, Uint8Array, string]> = [];
  for (let i = 0; i < 1200; i++) {
    const q = queries[(i * 7) % queries.length]!;
    expectedSearches.set(q, (expectedSearches.get(q) ?? 0) + 1);
    pending.push([search.subject('query', 'anonymous'), enc.encode(JSON.stringify({ query: ` ${q.toUpperCase()} `, deviceId: 'dev-1', at: at + i })), `s${i}`]);
  }
  for (let i = 0; i < 800; i++) {
    const sku = skus[(i * 3) % skus.length]!;
    expectedViews.set(sku, (expectedViews.get(sku) ?? 0) + 1);
    expectedPop.set(sku, (expectedPop.get(sku) ?? 0) + decay(at + i));
    const e = { id: `e${i}`, type: 'view', sku, category: 'c/d', deviceId: `dev-${i % 50}`, at: at + i };
    pending.push([events.subject('view', 'anonymous'), enc.encode(JSON.stringify(e)), e.id]);
  }
  for (let i = 0; i < pending.length; i += 200) {
    await Promise.all(pending.slice(i, i + 200).map(async ([subject, data, msgID]) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await js.publish(subject, data, { msgID, timeout: 10_000 });
        } catch (err) {
          if (attempt >= 5) throw err;
        }
      }
    }));
  }
  await nc.close();

  const reports = new AnalyticsReports(redis, env.cluster, async () => new Map());
  const counted = async () => {
    const [s, v] = await Promise.all([reports.topSearches('hour', 100), reports.topProducts('views', 'day', 100)]);
    return {
      searches: new Map(s.items.map((i) => [i.query, i.count])),
      views: new Map(v.items.map((i) => [i.sku, i.count])),
    };
  };
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

  // The first node dies right after its first Redis step, before acknowledging.
  const doomed = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'doomed', ANALYTICS_FAILPOINT: 'mid_batch' });
  procs.push(doomed);
  // Unref'd: a pending 90 s timer kept the finished suite's process alive for 90 s.
  const code = await Promise.race([doomed.exited, new Promise((r) => setTimeout(() => r('timeout'), 90_000).unref())]);
  assert.is.not(code, 'timeout', `the failpoint did not kill the node; its output:\n${doomed.output().slice(-1500)}`);
  // Whichever consumer's batch went first (analytics or the trainer's), its events are
  // marked seen and counted, and not acknowledged: some marks, not all.
  const partial = await counted();
  let marked = 0;
  for (const key of await redis.keys(`${env.cluster}:an:seen:*`)) {
    marked += await redis.bitcount(key);
    // Marks must not outlive the stream's events forever: each chunk carries an expiry.
    assert.ok(await redis.ttl(key) > 0, `seen-mark chunk ${key} has no expiry`);
  }
  assert.ok(marked > 0 && marked < 2000, `the crash left a partial count (${marked} events marked; analytics counted ${total(partial.searches) + total(partial.views)}); the doomed node said:\n${doomed.output().slice(-2000)}`);

  // Two nodes resume; a loaded machine can take a while to start them.
  for (const id of ['n2', 'n3']) procs.push(startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: id }));
  await Promise.all(procs.slice(1).map((p) => p.waitFor(/actor node \S+ joined/, 90_000)));
  const same = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  await eventually(async () => {
    const c = await counted();
    return same(c.searches, expectedSearches) && same(c.views, expectedViews);
  }, 45_000, 200);
  // Stay exact: nothing counted twice once the redeliveries have all come through.
  await new Promise((r) => setTimeout(r, 2500));
  const final = await counted();
  assert.equal([...final.searches].sort(), [...expectedSearches].sort());
  assert.equal([...final.views].sort(), [...expectedViews].sort());

  // The recommendations trainer replayed the same events: its popularity counts are exact too.
  const keys = new RecKeys(env.cluster);
  await eventually(async () => {
    const pop = await redis.zmscore(keys.popViews(), ...skus);
    return skus.every((s, i) => Math.abs(Number(pop[i]) - expectedPop.get(s)!) / expectedPop.get(s)! < 1e-9);
  }, 20_000, 200);
});

test.run();
