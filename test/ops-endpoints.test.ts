// The ops port of a real actor node and a real gateway (OPS_PORT): health, readiness with
// the node's and the gateway's meanings, and each process's own `shop_` metrics: group
// commits, journal batches, mailboxes, leases, pool use, outbox backlog and consumer lag
// on the node; HTTP and asks on the gateway, which no longer re-exports the nodes' gauges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPool, withDatabase } from '../stores/mysql/index.ts';
import { demoWarehouses } from '../app/demo.ts';
import { adminToken, call } from './support/gateway.ts';
import { eventually, freshEnv, removeNatsState, startProcess, type Proc, type TestEnv } from './support/harness.ts';

/** A node and a gateway with ops ports; started by hand for minute-long starts on a loaded machine. */
let s: { env: TestEnv; url: string; gateway: Proc; nodes: Proc[]; stop(): Promise<void> };
let nodeOps: string;
/** Every process started, so a set-up that fails half-way still leaves none behind. */
const started: Proc[] = [];
let testEnv: TestEnv | undefined;
let gatewayOps: string;

const opsUrl = async (proc: Proc) => (await proc.waitFor(/ops port on (\S+)/, 90_000)).split(' ')[3]!;

async function get(url: string): Promise<{ status: number; text: string; retryAfter: string | null; json?: { ok: boolean; checks: Record<string, string> } }> {
  const res = await fetch(url);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text) as { ok: boolean; checks: Record<string, string> };
  } catch {
    // metrics are text
  }
  return { status: res.status, text, retryAfter: res.headers.get('retry-after'), ...(json ? { json } : {}) };
}

/** The value of one series in a Prometheus text page, or undefined. */
function value(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test.before(async () => {
  const env = await freshEnv('opsendpoints');
  testEnv = env;
  const pool = createPool(env.mysqlUrl, { connectionLimit: 1 });
  for (const w of demoWarehouses) {
    await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  }
  await pool.end();
  const node = startProcess('app/main.ts', { ...env.env, ROLE: 'node', NODE_ID: 'n1', OPS_PORT: '0' });
  const gateway = startProcess('app/main.ts', { ...env.env, ROLE: 'gateway', PORT: '0', OPS_PORT: '0', ADMIN_TOKEN: adminToken });
  started.push(node, gateway);
  const url = (await gateway.waitFor(/gateway listening on (\S+)/, 90_000)).split(' ').pop()!;
  s = {
    env, url, gateway, nodes: [node],
    async stop() {
      await Promise.all([gateway.kill('SIGKILL'), node.kill('SIGKILL')]);
      await env.cleanup();
    },
  };
  nodeOps = await opsUrl(node);
  gatewayOps = await opsUrl(gateway);
});

test.after(async () => {
  await Promise.all(started.map((p) => p.kill('SIGKILL')));
  await testEnv?.cleanup();
});

test('node: /healthz, then /readyz ok once it serves every shard and its consumers caught up', async () => {
  const health = await get(`${nodeOps}/healthz`);
  assert.is(health.status, 200);
  const ready = await eventually(async () => {
    const r = await get(`${nodeOps}/readyz`);
    return r.status === 200 ? r : undefined;
  }, 20_000, 200);
  assert.equal(ready.json, { ok: true, checks: { nats: 'ok', redis: 'ok', mariadb: 'ok', shards: 'ok', consumers: 'ok' } });
  const nf = await get(`${nodeOps}/nope`);
  assert.is(nf.status, 404);
});

test('node: /readyz is 503 naming MariaDB when its database was never made (MYSQL_URL naming a missing one)', async () => {
  const cluster = `${testEnv!.cluster}nodb`.slice(0, 32);
  const lost = startProcess('app/main.ts', {
    ...testEnv!.env, CLUSTER: cluster, ROLE: 'node', NODE_ID: 'nodb', OPS_PORT: '0', MYSQL_URL: withDatabase(testEnv!.mysqlUrl, `${cluster}_missing`),
  });
  started.push(lost);
  try {
    const ops = await opsUrl(lost);
    const r = await eventually(async () => {
      const x = await get(`${ops}/readyz`);
      return x.json?.checks.mariadb !== undefined ? x : undefined;
    }, 20_000, 200);
    assert.is(r.status, 503, r.text);
    assert.is(r.retryAfter, '1', 'a 503 says when to look again');
    assert.match(r.json!.checks.mariadb!, /Unknown database/);
  } finally {
    await lost.kill('SIGKILL');
    await removeNatsState(cluster).catch(() => undefined);
  }
});

test('node /metrics: its own shop_ series, group commits counted after a stock write, journal batches after a signup', async () => {
  const put = await call(s.url, 'PUT', '/v1/admin/inventory/SKU-00001', {
    token: adminToken, body: { warehouses: [{ warehouseId: 'wh-east', onHand: 40 }] },
  });
  assert.is(put.status, 200, JSON.stringify(put.body));
  // A signup opens a session on the node: one write through its journal.
  const signup = await call(s.url, 'POST', '/v1/auth/signup', { body: { email: 'ops-metrics@example.com', password: 'a long enough password', name: 'Ops' } });
  assert.is(signup.status, 201, JSON.stringify(signup.body));
  const page = await eventually(async () => {
    const text = (await get(`${nodeOps}/metrics`)).text;
    // A renewal runs on its own timer: wait for one as well as for the commit.
    return (value(text, 'shop_group_commit_batch_size_count{pipeline="inventory"}') ?? 0) >= 1
      && (value(text, 'shop_lease_renew_seconds_count') ?? 0) >= 1 ? text : undefined;
  }, 10_000, 200);
  assert.ok(value(page, 'shop_journal_batches_total{how="together"}')! >= 1, 'the session write committed in a batch sent together');
  assert.ok(value(page, 'shop_journal_parts_total{outcome="committed"}')! >= 1);
  assert.is(value(page, 'shop_journal_parts_total{outcome="failed"}'), 0);
  assert.is(value(page, 'shop_journal_second_tries_total'), 0);
  assert.is(value(page, 'shop_journal_merged_parts_total'), 0, 'one session write: nothing to merge it with');
  const series = page.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(series.every((l) => l.startsWith('shop_')), `every series is shop_: ${series.find((l) => !l.startsWith('shop_'))}`);
  assert.is(value(page, 'shop_leases_held'), 16);
  assert.ok(value(page, 'shop_group_commit_seconds_count{pipeline="inventory"}')! >= 1);
  assert.ok(value(page, 'shop_actors')! >= 1, 'the inventory actor is live');
  assert.is(value(page, 'shop_mailbox_depth'), 0);
  assert.is(value(page, 'shop_shard_moves_total{kind="acquired"}'), 16);
  assert.ok(value(page, 'shop_lease_renew_seconds_count')! >= 1);
  assert.is(value(page, 'shop_db_pool_connections{pool="main",state="limit"}'), 32);
  assert.is(value(page, 'shop_db_pool_connections{pool="inventory",state="limit"}'), 8);
  assert.ok(value(page, 'shop_outbox_backlog') !== undefined);
  assert.match(page, /shop_consumer_lag\{stream="[A-Z0-9_]+_CATALOG",consumer="ordered"\} 0/);
  assert.ok(value(page, 'shop_asks_in_flight') !== undefined);
  assert.ok(value(page, 'shop_process_resident_memory_bytes')! > 0);
});

test('gateway: ready with a live node; /metrics its own, without any node gauge; not ready once no node is left', async () => {
  const ready = await get(`${gatewayOps}/readyz`);
  assert.is(ready.status, 200, ready.text);
  assert.is(ready.retryAfter, null);
  assert.equal(ready.json!.checks, { nats: 'ok', redis: 'ok', mariadb: 'ok', nodes: 'ok' });
  await call(s.url, 'GET', '/v1/inventory/SKU-00001');
  const page = (await get(`${gatewayOps}/metrics`)).text;
  assert.match(page, /shop_http_requests_total\{method="GET",route="\/v1\/inventory\/:sku",status="200"\} 1/);
  assert.match(page, /shop_asks_total\{type="inventory",outcome="ok"\}/);
  for (const nodeSeries of ['shop_leases_held', 'shop_mailbox_depth', 'shop_actors', 'shop_outbox_backlog', 'cluster_node_']) {
    assert.not.ok(page.includes(nodeSeries), `the gateway does not export ${nodeSeries}`);
  }
  assert.is((await s.nodes[0]!.kill('SIGTERM')), 0);
  const notReady = await eventually(async () => {
    const r = await get(`${gatewayOps}/readyz`);
    return r.status === 503 ? r : undefined;
  }, 10_000, 200);
  assert.match(notReady.json!.checks.nodes!, /no live actor node/);
  assert.is(notReady.retryAfter, '1');
  const onTheApiPort = await fetch(`${s.url}/readyz`);
  assert.is(onTheApiPort.status, 503);
  assert.is(onTheApiPort.headers.get('retry-after'), '1', 'the API port\'s /readyz too');
});

test.run();
