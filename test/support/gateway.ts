// Fixtures for the gateway suites: a fresh stack (actor nodes + a gateway process on real
// NATS/Redis/MariaDB) with demo products and warehouses, and a small HTTP client.
import { request as httpRequest } from 'node:http';
import { createPool } from '../../stores/mysql/index.ts';
import { ProductRepository } from '../../stores/mysql/products.ts';
import { demoProducts, demoWarehouses } from '../../app/demo.ts';
import { logisticsClusters, logisticsRoutes } from '../../app/catalog-demo.ts';
import { LogisticsRepository } from '../../stores/mysql/logistics.ts';
import { freshEnv, startApp, type Proc, type TestEnv } from './harness.ts';

export const adminToken = 'admintoken';

export interface Stack {
  env: TestEnv;
  url: string;
  gateway: Proc;
  nodes: Proc[];
  /** Runs SQL against the suite's database (to check what was stored). */
  sql<T>(query: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startStack(suite: string, opts: { nodes?: number; gatewayEnv?: Record<string, string>; nodeEnv?: Record<string, string> } = {}): Promise<Stack> {
  const env = await freshEnv(suite);
  const pool = createPool(env.mysqlUrl, { connectionLimit: 2 });
  await new ProductRepository(pool).upsertMany(demoProducts(60));
  for (const w of demoWarehouses) {
    await pool.query('INSERT IGNORE INTO warehouses (warehouse_id, name, region, lat, lon) VALUES (?, ?, ?, ?, ?)', [w.warehouseId, w.name, w.region, w.lat, w.lon]);
  }
  // Delivery clusters and routes (the demo's), so addresses in the US and Europe are deliverable.
  const logistics = new LogisticsRepository(pool);
  await logistics.upsertClusters(logisticsClusters);
  await logistics.upsertRoutes(logisticsRoutes);
  const nodes: Proc[] = [];
  let gateway: Proc & { url?: string };
  try {
    for (let i = 0; i < (opts.nodes ?? 1); i++) nodes.push(await startApp(env.env, 'node', { NODE_ID: `n${i + 1}`, ...opts.nodeEnv }));
    gateway = await startApp(env.env, 'gateway', { PORT: '0', ADMIN_TOKEN: adminToken, ...opts.gatewayEnv });
  } catch (err) {
    // Nothing half-started is left behind (processes, pool, database).
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await pool.end().catch(() => undefined);
    await env.cleanup();
    throw err;
  }
  return {
    env, url: gateway.url!, gateway, nodes,
    async sql<T>(query: string, params: unknown[] = []) {
      const [rows] = await pool.query(query, params);
      return rows as T[];
    },
    async stop() {
      await Promise.all([gateway.kill('SIGKILL'), ...nodes.map((n) => n.kill('SIGKILL'))]);
      await pool.end().catch(() => undefined);
      await env.cleanup();
    },
  };
}

export interface Res<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the gateway. `body` objects are sent as JSON; strings are sent as they are. */
export async function call(url: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  // A body over the limit is answered (413) before it is all sent, and the server closes the
  // connection; fetch reports that as a failed write. Read the answer the way a careful
  // client does: take the response as soon as it comes, whatever happens to the upload.
  if (payload !== undefined && Buffer.byteLength(payload) > 1024 * 1024) return callEarlyAnswer(url + path, method, headers, payload);
  const res = await fetch(url + path, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (metrics): keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

function callEarlyAnswer(url: string, method: string, headers: Record<string, string>, payload: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body, headers: h });
      });
    });
    // EPIPE/ECONNRESET after the answer arrived are expected; before it, they are failures.
    req.on('error', (err) => setTimeout(() => reject(err), 500));
    req.end(payload);
  });
}

let n = 0;
/** Signs a fresh user up; returns their id, token, email and password. */
export async function signup(url: string, name = 'Test User'): Promise<{ userId: string; token: string; email: string; password: string }> {
  const email = `user${Date.now()}${n++}@example.com`;
  const password = 'correct horse battery';
  const r = await call(url, 'POST', '/v1/auth/signup', { body: { email, password, name } });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...(r.body as { userId: string; token: string }), email, password };
}

/** Signs a fresh user up with a default address in Boston (delivery cluster `east`), ready to check out. */
export async function signupBuyer(url: string, name = 'Test Buyer'): Promise<Awaited<ReturnType<typeof signup>> & { addressId: string }> {
  const u = await signup(url, name);
  const body = { line1: '1 Main St', city: 'Boston', region: 'MA', country: 'US', postalCode: '02110', isDefault: true };
  // Idempotent by key, so a 503 (a loaded machine missing a session check's deadline) is safely retried.
  let a = await call(url, 'POST', '/v1/me/addresses', { token: u.token, body, headers: { 'Idempotency-Key': `addr-${u.userId}` } });
  for (let i = 0; a.status === 503 && i < 5; i++) {
    await new Promise((r) => setTimeout(r, 500));
    a = await call(url, 'POST', '/v1/me/addresses', { token: u.token, body, headers: { 'Idempotency-Key': `addr-${u.userId}` } });
  }
  if (a.status !== 201) throw new Error(`address failed: ${a.status} ${JSON.stringify(a.body)}`);
  return { ...u, addressId: a.body.addressId as string };
}
