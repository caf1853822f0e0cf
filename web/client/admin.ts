/// <reference lib="dom" />
// The operator dashboard: asks for the admin token (kept in sessionStorage), then polls
// /metrics every second for throughput and latency, /v1/admin/cluster every few seconds
// for nodes, shards and actors, a SKU's stock for the flash-sale panel, and analytics.
import { api, ApiError } from './api.ts';
import { byId, formError, h, render } from './dom.ts';
import { LiveChart } from './admin/chart.ts';
import { buckets, family, parse, quantile, sum, type Sample } from './admin/prometheus.ts';
import { analytics, nodesTable, shardMap, type ClusterView } from './admin/panels.ts';

const tokenKey = 'shop.admin';
const metricsEveryMs = 1000;
const clusterEveryMs = 3000;

interface Scrape { at: number; requests: number; paid: number; checkouts: number; latency: Map<number, number>; commit: Map<number, number> }

const notOps = (s: Sample) => s.labels.route !== '/metrics' && !(s.labels.route ?? '').startsWith('/assets');

function read(samples: Sample[]): Scrape {
  const requests = family(samples, 'http_requests_total');
  return {
    at: performance.now(),
    requests: sum(requests, notOps),
    paid: sum(requests, (s) => s.labels.route === '/v1/orders/:orderId/pay' && s.labels.status === '200'),
    checkouts: sum(requests, (s) => s.labels.route === '/v1/checkout' && s.labels.status === '201'),
    latency: buckets(family(samples, 'http_request_duration_seconds_bucket'), notOps),
    // Group-commit latency, where this process exports it (nodes running in the same process do).
    commit: buckets(samples.filter((s) => /commit.*seconds_bucket$/.test(s.name))),
  };
}

function tile(label: string, id: string, title?: string): HTMLElement {
  return h('div', { class: 'tile', title }, h('span', { class: 'tile-label' }, label), h('strong', { id, class: 'tile-value' }, '—'));
}

function set(id: string, text: string): void {
  const el = byId(id);
  if (el) el.textContent = text;
}

let generation = 0;

function dashboard(token: string): void {
  const mine = ++generation;
  const root = byId('dashboard')!;
  const throughput = new LiveChart('Throughput', [{ name: 'requests/s', color: '#1f5f5b' }, { name: 'orders paid/s', color: '#d9822b' }], '/s', 90, 'throughput-chart');
  const latency = new LiveChart('HTTP latency', [{ name: 'p50', color: '#3b6fb6' }, { name: 'p99', color: '#c0392b' }], 'ms', 90, 'latency-chart');
  const mailbox = new LiveChart('Mailbox depth (all nodes)', [{ name: 'queued messages', color: '#7b4fa0' }], 'msgs', 60, 'mailbox-chart');
  const stock = new LiveChart('Units available', [{ name: 'available', color: '#2e8b57' }], 'units', 90, 'flash-chart');
  const skuInput = h('input', { id: 'flash-sku', name: 'sku', value: sessionStorage.getItem('shop.flashSku') ?? 'SKU-00001', required: true, 'data-testid': 'flash-sku' });
  const flashForm = h('form', { class: 'inline-form' }, h('label', { for: 'flash-sku' }, 'SKU '), skuInput, h('button', { type: 'submit', class: 'small' }, 'Watch'));
  const flashProblem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  render(root,
    h('h1', { class: 'sr-only' }, 'Operator dashboard'),
    h('section', { class: 'tiles', 'aria-label': 'Now' },
      tile('Nodes', 't-nodes'), tile('Shards owned', 't-shards'), tile('Actors', 't-actors'), tile('Mailbox depth', 't-mailbox'),
      tile('Requests/s', 't-rps'), tile('p99 latency', 't-p99'), tile('Commit p99', 't-commit', 'From a *commit*_seconds histogram in this gateway\'s /metrics; n/a when it has none.')),
    h('div', { class: 'charts' }, throughput.element, latency.element),
    h('section', { class: 'panel', 'aria-labelledby': 'nodes-h' }, h('h2', { id: 'nodes-h' }, 'Nodes'), h('div', { id: 'nodes' }, h('p', { class: 'muted' }, 'Loading…'))),
    h('div', { class: 'charts' },
      h('section', { class: 'panel', 'aria-labelledby': 'shards-h' }, h('h2', { id: 'shards-h' }, 'Shards'), h('div', { id: 'shards' })),
      mailbox.element),
    h('section', { class: 'panel flash', 'aria-labelledby': 'flash-h' },
      h('h2', { id: 'flash-h' }, 'Flash sale'),
      flashForm, flashProblem,
      h('div', { class: 'tiles' }, tile('Available', 'f-available'), tile('Reserved', 'f-reserved'), tile('On hand', 'f-onhand'), tile('Orders paid/s', 'f-orders'), tile('Checkouts/s', 'f-checkouts')),
      stock.element),
    h('section', { 'aria-labelledby': 'analytics-h' }, h('h2', { id: 'analytics-h' }, 'Analytics'), h('div', { id: 'analytics', class: 'reports' })));

  let sku = '';
  // The stock of a SKU nobody sells reads as zeros, like a sold-out one: the catalog is
  // asked first, and an unknown SKU is said to be one instead of being watched.
  const watch = async (wanted: string) => {
    sku = '';
    // The chart is of one SKU: another's units left in it read as a restock or a sell-out.
    stock.clear();
    for (const id of ['f-available', 'f-reserved', 'f-onhand']) set(id, '—');
    try {
      await api('GET', `/v1/products/${encodeURIComponent(wanted)}`, { token: null });
    } catch (err) {
      flashProblem.textContent = err instanceof ApiError && err.status === 404 ? `No such product: ${wanted}` : `Could not look up ${wanted}: ${(err as Error).message}`;
      flashProblem.hidden = false;
      return;
    }
    flashProblem.hidden = true;
    sku = wanted;
    sessionStorage.setItem('shop.flashSku', sku);
  };
  void watch(skuInput.value.trim());
  flashForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void watch(skuInput.value.trim());
  });

  let last: Scrape | undefined;
  const pollMetrics = async () => {
    try {
      const res = await fetch('/metrics');
      const now = read(parse(await res.text()));
      if (last) {
        const secs = Math.max(0.001, (now.at - last.at) / 1000);
        const rps = Math.max(0, (now.requests - last.requests) / secs);
        const paid = Math.max(0, (now.paid - last.paid) / secs);
        const checkouts = Math.max(0, (now.checkouts - last.checkouts) / secs);
        const p50 = quantile(last.latency, now.latency, 0.5);
        const p99 = quantile(last.latency, now.latency, 0.99);
        const commit = now.commit.size ? quantile(last.commit, now.commit, 0.99) : undefined;
        throughput.push([rps, paid]);
        latency.push([p50 === undefined ? undefined : p50 * 1000, p99 === undefined ? undefined : p99 * 1000]);
        set('t-rps', rps.toFixed(rps >= 100 ? 0 : 1));
        set('t-p99', p99 === undefined ? '—' : `${(p99 * 1000).toFixed(1)} ms`);
        set('t-commit', now.commit.size === 0 ? 'n/a' : commit === undefined ? '—' : `${(commit * 1000).toFixed(1)} ms`);
        set('f-orders', paid.toFixed(1));
        set('f-checkouts', checkouts.toFixed(1));
      }
      last = now;
      set('live', `Live · updated ${new Date().toLocaleTimeString()}`);
    } catch {
      set('live', 'Metrics unreachable; retrying');
    }
  };

  const pollCluster = async () => {
    try {
      const view = await api<ClusterView>('GET', '/v1/admin/cluster', { token });
      render(byId('nodes'), nodesTable(view));
      render(byId('shards'), shardMap(view));
      const owned = Object.keys(view.shardOwners).length;
      set('t-nodes', String(view.nodes.length));
      set('t-shards', `${owned} / ${owned + view.unownedShards.length}`);
      const actors = view.nodeStats.reduce((n, s) => n + (s.actors ?? 0), 0);
      const depth = view.nodeStats.reduce((n, s) => n + (s.mailboxDepth ?? 0), 0);
      set('t-actors', actors.toLocaleString());
      set('t-mailbox', depth.toLocaleString());
      mailbox.push([depth]);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return signOut('The admin token was refused.');
      render(byId('nodes'), h('p', { class: 'notice error' }, `Could not load the cluster: ${(err as Error).message}`));
    }
  };

  const pollStock = async () => {
    if (!sku) return;
    const asked = sku;
    try {
      const inv = await api<{ available: number; reserved: number; onHand: number }>('GET', `/v1/inventory/${encodeURIComponent(asked)}`, { token: null });
      // Another SKU was chosen while this answer was on its way.
      if (asked !== sku) return;
      set('f-available', inv.available.toLocaleString());
      set('f-reserved', inv.reserved.toLocaleString());
      set('f-onhand', inv.onHand.toLocaleString());
      stock.push([inv.available]);
    } catch (err) {
      set('f-available', err instanceof ApiError && err.status === 400 ? 'bad SKU' : '—');
    }
  };

  // Each loop waits for its own answer before the next, so a slow server is never piled on.
  const loop = (f: () => Promise<void>, everyMs: number) => {
    const tick = async () => {
      if (!sessionStorage.getItem(tokenKey) || mine !== generation) return;
      const started = performance.now();
      await f();
      setTimeout(() => void tick(), Math.max(100, everyMs - (performance.now() - started)));
    };
    void tick();
  };
  loop(pollMetrics, metricsEveryMs);
  loop(pollCluster, clusterEveryMs);
  loop(pollStock, metricsEveryMs);
  loop(() => analytics(byId('analytics')!, token), 15_000);
}

function signOut(message?: string): void {
  sessionStorage.removeItem(tokenKey);
  byId('dashboard')!.hidden = true;
  byId('admin-logout')!.hidden = true;
  byId('admin-login')!.hidden = false;
  const form = byId<HTMLFormElement>('admin-form');
  if (form) formError(form, message ?? null);
}

function open(token: string): void {
  byId('admin-login')!.hidden = true;
  byId('dashboard')!.hidden = false;
  byId('admin-logout')!.hidden = false;
  dashboard(token);
}

const form = byId<HTMLFormElement>('admin-form')!;
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = String(new FormData(form).get('token') ?? '').trim();
  if (!token) return;
  formError(form, null);
  try {
    await api('GET', '/v1/admin/cluster', { token });
    sessionStorage.setItem(tokenKey, token);
    form.reset();
    open(token);
  } catch (err) {
    formError(form, err instanceof ApiError && (err.status === 401 || err.status === 403) ? 'That token was refused.' : (err as Error).message);
  }
});
byId('admin-logout')?.addEventListener('click', () => signOut());
const saved = sessionStorage.getItem(tokenKey);
if (saved) open(saved);
