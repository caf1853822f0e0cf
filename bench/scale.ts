// `npm run bench:scale -- [--concurrency 16] [--hold 5] [--max-nodes 4] [--json]`
// Scale out and in under load: a mixed load (browse, search, cart, checkout + pay) through
// one gateway while actor nodes are added one at a time up to --max-nodes, then drained one
// at a time (the `cluster drain` code path) back to one. Per change it prints the shards
// moved, the time until placement settled (every shard served by the node rendezvous gives
// it, every member Up), and per step the requests served, the throughput and the failures.
// Failed requests must be 0: a 5xx, a 429/503, a network error or an unexpected 4xx counts.
import { parseArgs } from 'node:util';
import { ClusterWatch, drainNode, rendezvousOwner, type ClusterStatus } from '../cluster/index.ts';
import { freshEnv, natsConnection, startProcess, type Proc } from '../test/support/harness.ts';
import { addAddress } from './commerce-setup.ts';

const usage = 'usage: bench/scale.ts [--concurrency N] [--hold SECONDS] [--max-nodes N ≥ 2] [--json]\n';
let values;
try {
  ({ values } = parseArgs({ options: {
    concurrency: { type: 'string', default: '16' }, hold: { type: 'string', default: '5' },
    'max-nodes': { type: 'string', default: '4' }, json: { type: 'boolean', default: false },
  } }));
} catch (err) {
  // An unknown option (--help among them): the usage, not a stack trace.
  process.stderr.write(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const holdMs = Number(values.hold) * 1000;
const maxNodes = Number(values['max-nodes']);
if (![concurrency, holdMs, maxNodes].every((n) => Number.isInteger(n) && n > 0) || maxNodes < 2) {
  process.stderr.write(usage);
  process.exit(2);
}
const say = (line: string) => process.stderr.write(`[bench:scale] ${line}\n`);
const shards = 64;
const admin = 'benchadmin';
const env = await freshEnv('benchscale', {
  SHARDS: String(shards), LEASE_TTL_MS: '3000', LOG_LEVEL: 'warn', PAYMENT_LATENCY_MS: '0', DEMO_PRODUCTS: '300', MYSQL_POOL_SIZE: '8',
  // A long deadline: on a shared, loaded machine a 5 s ask can time out for reasons that have
  // nothing to do with scaling, and this bench counts failures caused by adding and draining.
  ASK_DEADLINE_MS: '15000',
});
const nc = await natsConnection();
const nodes = new Map<string, Proc>();
let gateway: Proc | undefined;

async function startNode(id: string, extra: Record<string, string> = {}): Promise<void> {
  const proc = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: id, ...extra });
  nodes.set(id, proc);
  await proc.waitFor(/actor node \S+ joined/, 180_000);
}

/** Settled: every member Up, no shard unowned, each shard on the node rendezvous gives it. */
function settled(view: ClusterStatus, expected: string[]): boolean {
  const ids = view.members.map((m) => m.nodeId);
  if (ids.join() !== [...expected].sort().join()) return false;
  if (view.members.some((m) => m.status !== 'Up') || view.unownedShards.length > 0) return false;
  for (let s = 0; s < shards; s++) if (view.shardOwners[s] !== rendezvousOwner(s, ids)) return false;
  return true;
}

async function waitSettled(watch: ClusterWatch, expected: string[], timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!settled(watch.snapshot(), expected)) {
    if (Date.now() > until) throw new Error(`placement did not settle on ${expected.join(', ')}: ${JSON.stringify(watch.snapshot().members.map((m) => [m.nodeId, m.status, m.shards]))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const moved = (a: Record<string, string>, b: Record<string, string>) => {
  let n = 0;
  for (let s = 0; s < shards; s++) if (a[s] !== b[s]) n++;
  return n;
};

// ── the load ────────────────────────────────────────────────────────────────────────────
interface Counters { ok: number; failed: number; byKind: Record<string, number>; firstFailures: string[] }
const counters: Counters = { ok: 0, failed: 0, byKind: {}, firstFailures: [] };
let running = true;

async function request(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expect(kind: string, r: { status: number; json: unknown }, ok: number[]): void {
  if (ok.includes(r.status)) {
    counters.ok++;
    counters.byKind[kind] = (counters.byKind[kind] ?? 0) + 1;
    return;
  }
  counters.failed++;
  if (counters.firstFailures.length < 5) counters.firstFailures.push(`${kind} ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
}

const sku = (i: number) => `SKU-${String((i % 50) + 1).padStart(5, '0')}`;
const words = ['wireless', 'headphones', 'blanket', 'knife', 'coffee', 'backpack', 'lamp', 'running'];

async function worker(base: string, token: string, w: number): Promise<void> {
  for (let i = w; running; i += concurrency) {
    const kind = ['browse', 'browse', 'browse', 'search', 'search', 'cart', 'cart', 'checkout', 'browse', 'cart'][i % 10]!;
    try {
      if (kind === 'browse') {
        expect('browse', await request(base, 'GET', `/v1/products/${sku(i)}`, token), [200]);
        expect('browse', await request(base, 'GET', `/v1/inventory/${sku(i + 1)}`), [200]);
      } else if (kind === 'search') {
        expect('search', await request(base, 'GET', `/v1/search?q=${words[i % words.length]}&limit=10`, token), [200]);
      } else if (kind === 'cart') {
        expect('cart', await request(base, 'POST', '/v1/cart/items', token, { sku: sku(i), qty: 1 }), [200, 201]);
        expect('cart', await request(base, 'GET', '/v1/cart', token), [200]);
      } else {
        const order = await request(base, 'POST', '/v1/checkout', token, { items: [{ sku: sku(i), qty: 1 }] });
        expect('checkout', order, [201]);
        if (order.status === 201) {
          expect('checkout', await request(base, 'POST', `/v1/orders/${String(order.json.orderId)}/pay`, token, { paymentMethod: { type: 'card', token: 'tok_ok' } }), [200]);
        }
      }
    } catch (err) {
      counters.failed++;
      if (counters.firstFailures.length < 5) counters.firstFailures.push(`${kind} ${(err as Error).message}`);
    }
  }
}

interface Step { step: string; nodes: number; shardsMoved?: number; settleMs?: number; seconds: number; requests: number; perSec: number; failed: number }
const steps: Step[] = [];
let exitCode = 0;
// Ctrl-C: the node and gateway processes and the cluster's state go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running = false;
    void Promise.all([...nodes.values(), ...(gateway ? [gateway] : [])].map((p) => p.kill('SIGKILL')))
      .then(() => env.cleanup())
      .finally(() => process.exit(130));
  });
}
try {
  say(`cluster ${env.cluster}: starting node n1 (loads the demo catalog) and a gateway`);
  await startNode('n1', { DEMO_DATA: '1' });
  gateway = startProcess('app/main.ts', {
    ...env.env, ROLE: 'gateway', PORT: '0', ADMIN_TOKEN: admin,
    RATE_LIMIT_PER_SEC: '100000000', RATE_LIMIT_AUTH_PER_MIN: '100000000', MAX_INFLIGHT_HTTP: '100000',
  });
  const base = (await gateway.waitFor(/gateway listening on (\S+)/, 180_000)).split(' ').pop()!;
  const watch = await ClusterWatch.open(nc, env.cluster, shards, 3000);
  await waitSettled(watch, ['n1']);
  // Enough stock that no checkout is refused: a refusal would be right, but it is not load.
  // Set-up (not measured) retries what a loaded machine times out.
  const setup = async (what: string, call: () => Promise<{ status: number; json: unknown }>, ok: number) => {
    for (let attempt = 1; ; attempt++) {
      const r = await call();
      if (r.status === ok) return r;
      if (attempt >= 5 || r.status < 500) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
    }
  };
  for (let i = 0; i < 50; i++) {
    await setup(`stock ${sku(i)}`, () => request(base, 'PUT', `/v1/admin/inventory/${sku(i)}`, admin, { warehouses: [{ warehouseId: 'wh-east', onHand: 1_000_000 }] }), 200);
  }
  const tokens: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    const r = await setup('signup', () => request(base, 'POST', '/v1/auth/signup', undefined, { email: `scale${i}@bench.example`, password: 'benchmark-password', name: `Shopper ${i}` }), 201);
    const token = String((r.json as { token: string }).token);
    // Checkout needs a deliverable address (the demo data routes `east` from its warehouses).
    await addAddress(base, token);
    tokens.push(token);
  }
  say(`load: ${concurrency} shoppers (browse, search, cart, checkout + pay); ${holdMs / 1000} s per step after placement settles`);
  const workers = tokens.map((t, w) => worker(base, t, w));

  const measure = async (step: string, change: () => Promise<string[]>) => {
    const before = { ...watch.snapshot().shardOwners };
    const ok0 = counters.ok;
    const failed0 = counters.failed;
    const t0 = performance.now();
    const expected = await change();
    const changed = performance.now();
    await waitSettled(watch, expected);
    const settleMs = performance.now() - changed;
    await new Promise((r) => setTimeout(r, holdMs));
    const seconds = (performance.now() - t0) / 1000;
    const requests = counters.ok - ok0;
    const row: Step = {
      step, nodes: expected.length, seconds: Number(seconds.toFixed(1)), requests, perSec: Math.round(requests / seconds), failed: counters.failed - failed0,
      ...(step === 'steady' ? {} : { shardsMoved: moved(before, watch.snapshot().shardOwners), settleMs: Math.round(settleMs) }),
    };
    steps.push(row);
    say(`${step}: ${JSON.stringify(row)}${row.failed > 0 ? ` first failures: ${counters.firstFailures.join(' | ')}` : ''}`);
  };

  const live = ['n1'];
  await measure('steady', async () => live);
  for (let n = 2; n <= maxNodes; n++) {
    const id = `n${n}`;
    // The clock for settling starts when the node has joined (its process start is not placement).
    await measure(`add ${id}`, async () => {
      await startNode(id);
      live.push(id);
      return [...live];
    });
  }
  for (let n = maxNodes; n >= 2; n--) {
    const id = `n${n}`;
    await measure(`drain ${id}`, async () => {
      await drainNode(nc, { cluster: env.cluster, shards, leaseTtlMs: 3000, nodeId: id, timeoutMs: 120_000 });
      const code = await nodes.get(id)!.exited;
      if (code !== 0) throw new Error(`${id} exited ${code} after its drain`);
      nodes.delete(id);
      live.splice(live.indexOf(id), 1);
      return [...live];
    });
  }
  running = false;
  await Promise.all(workers);
  watch.stop();

  const total = steps.reduce((n, s) => n + s.requests, 0);
  process.stdout.write(`\nbench:scale — ${concurrency} shoppers through one gateway, ${shards} shards, LEASE_TTL_MS=3000\n`);
  process.stdout.write('step        nodes  shards moved  settle ms  seconds  requests  req/s  failed\n');
  for (const s of steps) {
    process.stdout.write(`${s.step.padEnd(10)}  ${String(s.nodes).padStart(5)}  ${String(s.shardsMoved ?? '-').padStart(12)}  ${String(s.settleMs ?? '-').padStart(9)}  ${s.seconds.toFixed(1).padStart(7)}  ${String(s.requests).padStart(8)}  ${String(s.perSec).padStart(5)}  ${String(s.failed).padStart(6)}\n`);
  }
  process.stdout.write(`requests ${total} (${Object.entries(counters.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}); failed requests: ${counters.failed}${counters.failed ? ` — first: ${counters.firstFailures.join(' | ')}` : ''}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ concurrency, shards, steps, requests: total, failed: counters.failed })}\n`);
  if (counters.failed > 0) exitCode = 1;
} catch (err) {
  process.stderr.write(`bench:scale failed: ${(err as Error).stack ?? String(err)}\n`);
  exitCode = 1;
} finally {
  running = false;
  await Promise.all([...nodes.values(), ...(gateway ? [gateway] : [])].map((p) => p.kill('SIGKILL')));
  await nc.close();
  await env.cleanup();
}
process.exit(exitCode);
