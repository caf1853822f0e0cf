// `npm run chaos -- [--scenario NAME] [--stock N] [--buyers N] [--json]`: a flash sale
// through HTTP (checkout and pay) with background browsing, search and cart traffic,
// against private NATS, Redis and MariaDB servers this script starts and stops, with one
// fault per scenario. Prints per scenario: oversold, acknowledged orders missing from
// MariaDB, double charges, stock stranded after the sweepers, failed requests by kind and
// the time from the fault to full service; `--json` prints one JSON line last. Exits
// non-zero when a scenario fails. Ctrl-C stops everything it started.
import { addAddress } from '../commerce-setup.ts';
import { rmSync } from 'node:fs';
import { adminToken, leaseTtlMs, reservationTtlMs, running, startServers, startStack, type Servers, type Stack } from './stack.ts';
import { Load, sleep } from './load.ts';
import { scenarios, type Scenario } from './faults.ts';
import { verify } from './verify.ts';
import { cleanTailMs, summarise, table, type ScenarioResult } from './report.ts';

interface Options { scenario?: string; stock: number; buyers: number; json: boolean; afterMs: number }

function parse(argv: string[]): Options {
  const opts: Options = { stock: 600, buyers: 16, json: false, afterMs: leaseTtlMs + 9000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') opts.json = true;
    else if (a === '--scenario') opts.scenario = value();
    else if (a === '--stock') opts.stock = Number(value());
    else if (a === '--buyers') opts.buyers = Number(value());
    else if (a === '--after-ms') opts.afterMs = Number(value());
    else throw new Error(`unknown option ${a} (--scenario NAME, --stock N, --buyers N, --after-ms N, --json)`);
  }
  if (opts.scenario && !scenarios.some((s) => s.name === opts.scenario)) {
    throw new Error(`unknown scenario "${opts.scenario}"; one of: ${scenarios.map((s) => s.name).join(', ')}`);
  }
  return opts;
}

const say = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
const sku = 'SKU-00001';
const cartSku = 'SKU-00002';

async function http(url: string, method: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
  });
  const parsed = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** Waits until the stack answers a stock read and a cart write quickly, so the fault hits a system in its steady state. */
async function warmUp(url: string, token: string): Promise<void> {
  const until = Date.now() + 90_000;
  let fast = 0;
  while (Date.now() < until && fast < 5) {
    const t0 = Date.now();
    try {
      const a = await fetch(`${url}/v1/inventory/${sku}`, { signal: AbortSignal.timeout(5000) });
      const b = await fetch(`${url}/v1/cart/items`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ sku: cartSku, qty: 1 }), signal: AbortSignal.timeout(5000),
      });
      fast = a.status === 200 && b.status === 200 && Date.now() - t0 < 1000 ? fast + 1 : 0;
    } catch {
      fast = 0;
    }
    await sleep(200);
  }
}

async function runScenario(scenario: Scenario, servers: Servers, index: number, opts: Options): Promise<ScenarioResult> {
  say(`── ${scenario.name}: ${scenario.fault}`);
  const stack: Stack = await startStack(scenario.name, servers, index);
  try {
    const tokens: string[] = [];
    for (let i = 0; i < opts.buyers; i++) {
      const r = await http(stack.url, 'POST', '/v1/auth/signup', { email: `buyer${i}@chaos.example`, password: 'chaos-password', name: `Buyer ${i}` });
      tokens.push(String(r.token));
      await addAddress(stack.url, String(r.token));
    }
    for (const [s, n] of [[sku, opts.stock], [cartSku, 1_000_000]] as const) {
      await http(stack.url, 'PUT', `/v1/admin/inventory/${s}`, { warehouses: [{ warehouseId: 'wh-east', onHand: n }] }, adminToken);
    }
    for (let i = 10; i < 50; i++) {
      await http(stack.url, 'PUT', `/v1/admin/inventory/SKU-000${i}`, { warehouses: [{ warehouseId: 'wh-west', onHand: 100 }] }, adminToken);
    }
    await warmUp(stack.url, tokens[0]!);
    const load = new Load({ url: stack.url, tokens, sku, cartSku, buyers: opts.buyers });
    load.start();
    await sleep(2500);
    const faultAt = Date.now();
    await scenario.inject({ stack, servers, sku, say });
    const restoredAt = Date.now();
    const restoredMs = restoredAt - faultAt;
    say(`fault over after ${restoredMs} ms; sale goes on for ${opts.afterMs} ms`);
    await sleep(opts.afterMs);
    const endAt = Date.now();
    const result = await load.stop();
    say(`load stopped: ${result.samples.length} requests; waiting for the sweepers`);
    const verdict = await verify(stack.pool, result, sku, opts.stock, reservationTtlMs + 20_000);
    const summary = summarise(scenario.name, scenario.fault, result, faultAt, restoredAt, endAt, verdict);
    if (!summary.pass && summary.firstErrors.length > 0) say(`first errors:\n  ${summary.firstErrors.join('\n  ')}`);
    return summary;
  } finally {
    await stack.stop();
  }
}

let servers: Servers | undefined;
let interrupted = false;

async function cleanUp(): Promise<void> {
  await Promise.all([...running].map((p) => {
    p.child.kill('SIGCONT');
    return p.kill('SIGKILL');
  }));
  if (servers) await Promise.all(servers.all.map((s) => s.destroy().catch(() => rmSync(s.dir, { recursive: true, force: true }))));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping everything this run started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  say('starting private NATS, Redis and MariaDB');
  servers = await startServers();
  const chosen = opts.scenario ? scenarios.filter((s) => s.name === opts.scenario) : scenarios;
  const results: ScenarioResult[] = [];
  try {
    for (const [i, scenario] of chosen.entries()) {
      const r = await runScenario(scenario, servers, i, opts);
      results.push(r);
      process.stdout.write(`${table([r]).split('\n')[1]}\n`);
      // A server a scenario restarted must be up for the next one.
      for (const s of servers.all) if (!s.running()) await s.start();
    }
  } finally {
    await cleanUp();
  }
  process.stdout.write(`\n${table(results)}\n`);
  process.stdout.write(`lease TTL ${leaseTtlMs} ms; recovery = fault → end of the last failed request; after back = from the end of the fault (server or process back; a kill -9 ends at once); a run passes with no 500 and no hung request and a clean last ${cleanTailMs / 1000} s\n`);
  for (const r of results) {
    const v = r.verdict;
    process.stdout.write(`${r.scenario}: ${r.fault}; sold ${v.soldUnits}, paid in MariaDB ${v.paidInDb}, counter drift ${v.counterDrift}, stranded expiring later ${v.strandedExpiring}, settled in ${(v.settleMs / 1000).toFixed(1)} s\n  failed: ${JSON.stringify(r.failedBy)}; 4xx: ${JSON.stringify(r.refusals)}\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ leaseTtlMs, results: results.map(({ firstErrors: _e, ...r }) => r) })}\n`);
  return results.every((r) => r.pass) ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  say(`failed: ${(err as Error).stack ?? String(err)}`);
  void cleanUp().finally(() => process.exit(2));
});
