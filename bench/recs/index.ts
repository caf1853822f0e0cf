// bench:recs — recommendation quality, training speed and serving latency in one run.
// Generates shoppers with hidden category preferences (shoppers.ts), trains the real
// trainer (the recs-trainer singleton's code, in process) on the first 80% of each
// shopper's events published to EVENTS and ORDERS, and scores the held-out 20% with
// hit-rate@10 and NDCG@10 next to a most-popular baseline. Then counts a live hour of
// events with the analytics consumers and reports Redis memory per million events, and
// measures GET /v1/me/recommendations through a real node and gateway (p50/p99, next to
// GET /healthz as the floor). `--json` adds one JSON line at the end.
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { connect, type JetStreamManager } from 'nats';
import { createPool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { ensureStream, eventsStream, ordersStream, searchStream } from '../../stores/events/index.ts';
import { RedisShopperSignals, analyticsJobs } from '../../actors/analytics/index.ts';
import { recommendationsTrainer } from '../../actors/recommendations/index.ts';
import { productsCollection } from '../../actors/catalog/index.ts';
import { openDocumentStore } from '../../stores/documents/index.ts';
import { freshEnv, natsUrl, redisUrl, startProcess, type Proc } from '../../test/support/harness.ts';
import { rng } from '../../app/catalog-demo.ts';
import { score, simulate, type SimEvent } from './shoppers.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const json = args.includes('--json');
const opts = {
  shoppers: flag('shoppers', 500), products: flag('products', 1200), categories: flag('categories', 24),
  liveEvents: flag('live-events', 50_000), requests: flag('requests', 3000), connections: flag('connections', 16),
};
const say = (line: string) => process.stderr.write(`[bench:recs] ${line}\n`);
const log = pino({ level: 'warn' });
const enc = new TextEncoder();

async function drained(jsm: JetStreamManager, pairs: Array<[string, string]>): Promise<void> {
  for (;;) {
    const infos = await Promise.all(pairs.map(([s, d]) => jsm.consumers.info(s, d).catch(() => undefined)));
    if (infos.every((i) => i && i.num_pending === 0 && i.num_ack_pending === 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Until the trainer has recomputed everything due (both sets empty twice in a row). */
async function derived(redis: Redis, cluster: string): Promise<void> {
  for (let quiet = 0; quiet < 2;) {
    const due = (await redis.scard(`${cluster}:rec:dirty`)) + (await redis.scard(`${cluster}:rec:dirtyu`));
    quiet = due === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function publishAll(items: Array<{ subject: string; body: unknown; id?: string }>, js: ReturnType<Awaited<ReturnType<typeof connect>>['jetstream']>): Promise<void> {
  for (let i = 0; i < items.length; i += 2000) {
    await Promise.all(items.slice(i, i + 2000).map((it) => js.publish(it.subject, enc.encode(JSON.stringify(it.body)), it.id ? { msgID: it.id } : {})));
  }
}

async function keyBytes(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const p = redis.pipeline();
    for (const k of found) p.memory('USAGE', k);
    for (const [, v] of (await p.exec()) ?? []) bytes += Number(v ?? 0);
    keys += found.length;
  } while (cursor !== '0');
  return { keys, bytes };
}

const env = await freshEnv('benchrecs', { LOG_LEVEL: 'warn' });
const pool = createPool(env.mysqlUrl, { connectionLimit: 4 });
const redis = new Redis(redisUrl, { enableAutoPipelining: true });
const nc = await connect({ servers: natsUrl });
const procs: Proc[] = [];
try {
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const [events, orders, searches] = [eventsStream(env.cluster), ordersStream(env.cluster), searchStream(env.cluster)];
  for (const s of [events, orders, searches]) await ensureStream(jsm, s);

  // 1. Shoppers, their training events on the streams.
  const start = Date.now() - 20 * 86_400_000;
  const sim = simulate({ shoppers: opts.shoppers, products: opts.products, categories: opts.categories, seed: 42, start });
  const price = new Map(sim.products.map((p) => [p.sku, p.price]));
  const categoryOf = new Map(sim.products.map((p) => [p.sku, p.category]));
  const rows = sim.products.map((p) => ({ ...p, title: p.sku, brand: 'Sim', currency: 'USD', attributes: {}, supplierId: 'sim' }));
  await new ProductRepository(pool).upsertMany(rows);
  // The product documents the recommendations route shows (what the catalog's item service would store).
  const documents = await openDocumentStore({ mongoUrl: undefined, pool });
  await documents.putMany(productsCollection, rows.map((p) => ({ id: p.sku, doc: { ...p, createdAt: start, updatedAt: start } })));
  await documents.close();
  const train = sim.shoppers.flatMap((s) => s.train).sort((a, b) => a.at - b.at);
  const toMessage = (e: SimEvent, n: number) => e.kind === 'view'
    ? { subject: events.subject('view', 'user'), id: `bv${n}`, body: { id: `bv${n}`, type: 'view', sku: e.skus[0], category: categoryOf.get(e.skus[0]!), userId: e.userId, at: e.at } }
    : { subject: orders.subject('placed', e.orderId!), body: { type: 'OrderPlaced', orderId: e.orderId, userId: e.userId, total: 0, currency: 'USD', lines: e.skus.map((sku) => ({ sku, qty: 1, price: price.get(sku) })), at: e.at } };
  say(`${sim.shoppers.length} shoppers, ${sim.products.length} products: publishing ${train.length} training events`);
  await publishAll(train.map(toMessage), js);

  // 2. Training: the trainer from a standing start until both consumers have acknowledged everything.
  const deps = { nc, cluster: env.cluster, redis, log, categoriesOf: async (skus: string[]) => new Map(skus.map((s) => [s, categoryOf.get(s) ?? ''])) };
  const t0 = performance.now();
  const trainer = recommendationsTrainer(deps).start();
  await drained(jsm, [[events.name, 'recs-events'], [orders.name, 'recs-orders']]);
  await derived(redis, env.cluster);
  const trainSec = (performance.now() - t0) / 1000;
  await trainer.stop();
  const trainingEventsPerSec = Math.round(train.length / trainSec);
  say(`trained on ${train.length} events in ${trainSec.toFixed(2)} s`);

  // 3. Quality on the held-out 20%, next to the most popular items of the training data.
  const popularity = new Map<string, number>();
  for (const e of train) for (const sku of e.skus) popularity.set(sku, (popularity.get(sku) ?? 0) + 1);
  const popular = [...popularity].sort((a, b) => b[1] - a[1]).map(([sku]) => sku);
  const signals = new RedisShopperSignals(redis, env.cluster);
  const sums = { recs: { hit: 0, ndcg: 0 }, pop: { hit: 0, ndcg: 0 } };
  let users = 0;
  let personal = 0;
  for (const s of sim.shoppers) {
    const seen = new Set(s.train.flatMap((e) => e.skus));
    const relevant = new Set(s.test.flatMap((e) => e.skus).filter((sku) => !seen.has(sku)));
    if (relevant.size === 0) continue;
    users++;
    const baseline = popular.filter((sku) => !seen.has(sku)).slice(0, 10);
    const recs = await signals.recommendationsFor(s.userId, 10);
    if (recs.length > 0) personal++;
    // What the route serves: the personal list, topped up with best sellers when short.
    const served = [...recs, ...baseline.filter((sku) => !recs.includes(sku))].slice(0, 10);
    const a = score(served, relevant);
    const b = score(baseline, relevant);
    sums.recs.hit += a.hit; sums.recs.ndcg += a.ndcg;
    sums.pop.hit += b.hit; sums.pop.ndcg += b.ndcg;
  }
  const quality = {
    users, personalCoverage: personal / users,
    recs: { hitRate10: sums.recs.hit / users, ndcg10: sums.recs.ndcg / users },
    popular: { hitRate10: sums.pop.hit / users, ndcg10: sums.pop.ndcg / users },
  };

  // 4. Analytics: a live hour of views, searches and orders; throughput and Redis memory.
  const r = rng(7);
  const now = Date.now();
  const live: Array<{ subject: string; body: unknown; id?: string }> = [];
  for (let i = 0; i < opts.liveEvents; i++) {
    const at = now - Math.floor(r() * 3600_000);
    const sku = sim.products[Math.floor(r() ** 2 * sim.products.length)]!.sku;
    const roll = r();
    if (roll < 0.7) live.push({ subject: events.subject('view', 'anonymous'), id: `lv${i}`, body: { id: `lv${i}`, type: 'view', sku, category: categoryOf.get(sku), deviceId: `dev${i % 5000}`, at } });
    else if (roll < 0.95) live.push({ subject: searches.subject('query', 'anonymous'), body: { query: `query ${Math.floor(r() ** 2 * 3000)}`, deviceId: `dev${i % 5000}`, skus: [sku], at } });
    else live.push({ subject: orders.subject('placed', `lo${i}`), body: { type: 'OrderPlaced', orderId: `lo${i}`, userId: `lu${i % 900}`, total: 0, currency: 'USD', country: ['US', 'GB', 'DE', 'FR'][i % 4], lines: [{ sku, qty: 1, price: price.get(sku) }], at } });
  }
  say(`publishing ${live.length} live events for the analytics consumers`);
  await publishAll(live, js);
  const jobs = analyticsJobs(deps).map((j) => j.start());
  const t1 = performance.now();
  await drained(jsm, [[events.name, 'analytics-events'], [orders.name, 'analytics-orders'], [searches.name, 'analytics-search']]);
  const analyticsSec = (performance.now() - t1) / 1000;
  await Promise.all(jobs.map((j) => j.stop()));
  const countsMem = await keyBytes(redis, `${env.cluster}:an:[^s]*`);
  const seenMem = await keyBytes(redis, `${env.cluster}:an:seen:*`);
  const analytics = {
    events: live.length, eventsPerSec: Math.round(live.length / analyticsSec),
    countKeys: countsMem.keys, countBytes: countsMem.bytes, seenBytes: seenMem.bytes,
    mbPerMillionEvents: Math.round(((countsMem.bytes + seenMem.bytes) / live.length) * 1e6 / 1e5) / 10,
  };
  const recMem = await keyBytes(redis, `${env.cluster}:rec:*`);

  // 5. Serving: GET /v1/me/recommendations through a node and a gateway.
  const node = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'bench-node' });
  const gw = startProcess('app/main.ts', { ...env.env, ROLE: 'gateway', PORT: '0', RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000' });
  procs.push(node, gw);
  await node.waitFor(/actor node \S+ joined/, 90_000);
  const url = (await gw.waitFor(/gateway listening on (\S+)/, 90_000)).split(' ').pop()!;
  say('signing up 20 users with a history');
  const tokens: string[] = [];
  const historyEvents: Array<{ subject: string; body: unknown; id?: string }> = [];
  for (let i = 0; i < 20; i++) {
    let token = '';
    let userId = '';
    for (let attempt = 0; !token; attempt++) {
      const res = await fetch(`${url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `recs${i}@example.com`, password: 'password123', name: 'Bench' }) });
      const body = (await res.json()) as { token?: string; userId?: string };
      if (res.status === 201 && body.token && body.userId) ({ token, userId } = body as { token: string; userId: string });
      else if (attempt >= 5) throw new Error(`signup failed: ${res.status} ${JSON.stringify(body)}`);
      else await new Promise((r) => setTimeout(r, 500));
    }
    tokens.push(token);
    for (const e of sim.shoppers[i]!.train.filter((x) => x.kind === 'view').slice(-8)) {
      historyEvents.push({ subject: events.subject('view', 'user'), id: `h${userId}${e.at}`, body: { id: `h${userId}${e.at}`, type: 'view', sku: e.skus[0], category: categoryOf.get(e.skus[0]!), userId, at: Date.now() } });
    }
  }
  await publishAll(historyEvents, js);
  await drained(jsm, [[events.name, 'recs-events']]);
  await derived(redis, env.cluster);
  // Warm up (connections, caches), then measure.
  await autocannon({ url, connections: 4, amount: 100, requests: [{ setupRequest: (req) => ({ ...req, path: '/v1/me/recommendations', headers: { authorization: `Bearer ${tokens[0]}` } }) }] });
  let n = 0;
  const recsRun = await autocannon({
    url, connections: opts.connections, amount: opts.requests,
    requests: [{ setupRequest: (req) => ({ ...req, method: 'GET', path: '/v1/me/recommendations?limit=10', headers: { authorization: `Bearer ${tokens[n++ % tokens.length]}` } }) }],
  });
  for (const token of tokens.slice(0, 3)) {
    const res = await fetch(`${url}/v1/me/recommendations?limit=10`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) say(`GET /v1/me/recommendations answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  if (recsRun.non2xx > 0) say(`status codes: ${JSON.stringify(recsRun.statusCodeStats)}`);
  const floorRun = await autocannon({ url: `${url}/healthz`, connections: opts.connections, amount: opts.requests });
  const serving = {
    requests: opts.requests, connections: opts.connections,
    recs: { rps: Math.round(recsRun.requests.average), p50: recsRun.latency.p50, p99: recsRun.latency.p99, non2xx: recsRun.non2xx },
    healthz: { rps: Math.round(floorRun.requests.average), p50: floorRun.latency.p50, p99: floorRun.latency.p99 },
  };

  const f = (x: number) => x.toFixed(3);
  process.stdout.write(`\nquality on ${users} shoppers' held-out 20% (${(quality.personalCoverage * 100).toFixed(0)}% had personal recommendations)\n`);
  process.stdout.write(`${'model'.padEnd(22)}${'hit-rate@10'.padStart(12)}${'NDCG@10'.padStart(10)}\n`);
  process.stdout.write(`${'item-to-item (ours)'.padEnd(22)}${f(quality.recs.hitRate10).padStart(12)}${f(quality.recs.ndcg10).padStart(10)}\n`);
  process.stdout.write(`${'most popular'.padEnd(22)}${f(quality.popular.hitRate10).padStart(12)}${f(quality.popular.ndcg10).padStart(10)}\n`);
  const ratio = quality.recs.hitRate10 / Math.max(quality.popular.hitRate10, 1e-9);
  process.stdout.write(`hit-rate ratio ${ratio.toFixed(2)}× (target ≥ 2×: ${ratio >= 2 ? 'met' : 'NOT met'}); NDCG ratio ${(quality.recs.ndcg10 / Math.max(quality.popular.ndcg10, 1e-9)).toFixed(2)}×\n`);
  process.stdout.write(`training: ${train.length} events in ${trainSec.toFixed(2)} s = ${trainingEventsPerSec} events/s; model in Redis ${(recMem.bytes / 1e6).toFixed(1)} MB in ${recMem.keys} keys\n`);
  process.stdout.write(`analytics: ${analytics.events} events (one hour) in ${analyticsSec.toFixed(2)} s = ${analytics.eventsPerSec} events/s; counts ${(analytics.countBytes / 1e6).toFixed(2)} MB in ${analytics.countKeys} keys + seen marks ${(analytics.seenBytes / 1e3).toFixed(0)} kB → ${analytics.mbPerMillionEvents} MB per million events\n`);
  process.stdout.write(`GET /v1/me/recommendations: ${serving.recs.rps} req/s, p50 ${serving.recs.p50} ms, p99 ${serving.recs.p99} ms, non-2xx ${serving.recs.non2xx} (GET /healthz p50 ${serving.healthz.p50} ms, p99 ${serving.healthz.p99} ms, ${serving.healthz.rps} req/s) with ${opts.connections} connections\n`);
  if (json) process.stdout.write(`${JSON.stringify({ bench: 'recs', opts, quality, hitRateRatio: ratio, training: { events: train.length, seconds: trainSec, eventsPerSec: trainingEventsPerSec, modelBytes: recMem.bytes }, analytics, serving })}\n`);
} finally {
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  await nc.close().catch(() => undefined);
  redis.disconnect();
  await pool.end().catch(() => undefined);
  await env.cleanup();
}
