/// <reference lib="dom" />
// The dashboard's tables: nodes with their shards and actors, the shard map, and the
// analytics reports (shown as "not available" where the server has no such route).
import { api, ApiError } from '../api.ts';
import { h, money, render, type Child } from '../dom.ts';

export interface NodeStat {
  nodeId: string; shards?: number[]; leasesHeld?: number; actors?: number; mailboxDepth?: number; dropped?: number;
  activations?: number; passivations?: number; actorsByType?: Record<string, number>;
}
export interface ClusterView {
  nodes: { nodeId: string; pid?: number; startedAt?: string; host?: string; status?: string; role?: string }[];
  shardOwners: Record<string, string>;
  unownedShards: number[];
  nodeStats: NodeStat[];
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

export function colorOf(nodes: string[], nodeId: string): string {
  const i = nodes.indexOf(nodeId);
  return i < 0 ? '#999' : palette[i % palette.length]!;
}

function since(iso: string | undefined): string {
  if (!iso) return '—';
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * A table in a box that scrolls sideways, so a wide table never widens its card or the page.
 * Focusable and named, so the keyboard can scroll it too (not every browser lets it otherwise).
 */
function scrolling(table: HTMLElement, label: string): HTMLElement {
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label }, table);
}

export function nodesTable(view: ClusterView): HTMLElement {
  const ids = view.nodes.map((n) => n.nodeId);
  const stats = new Map(view.nodeStats.map((s) => [s.nodeId, s]));
  const owned = new Map<string, number>();
  for (const owner of Object.values(view.shardOwners)) owned.set(owner, (owned.get(owner) ?? 0) + 1);
  const num = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString());
  return scrolling(h('table', { class: 'nodes' },
    h('caption', { class: 'sr-only' }, 'Actor nodes'),
    h('thead', null, h('tr', null, ['Node', 'Up for', 'Shards', 'Actors', 'Mailbox depth', 'Dropped', 'Activations'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, view.nodes.map((n) => {
      const s = stats.get(n.nodeId);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.setProperty('background', colorOf(ids, n.nodeId));
      const types = s?.actorsByType ? Object.entries(s.actorsByType).map(([t, c]) => `${t} ${c}`).join(', ') : '';
      return h('tr', { 'data-testid': 'node-row', 'data-node-id': n.nodeId },
        h('th', { scope: 'row' }, swatch, n.nodeId, n.status ? h('span', { class: 'tag' }, n.status) : null, n.pid ? h('span', { class: 'muted small' }, ` pid ${n.pid}`) : null),
        h('td', null, since(n.startedAt)),
        h('td', null, String(owned.get(n.nodeId) ?? s?.leasesHeld ?? 0)),
        h('td', { title: types }, num(s?.actors)),
        h('td', { class: (s?.mailboxDepth ?? 0) > 1000 ? 'warn' : undefined }, num(s?.mailboxDepth)),
        h('td', null, num(s?.dropped)),
        h('td', null, num(s?.activations)));
    }))), 'Actor nodes');
}

export function shardMap(view: ClusterView): HTMLElement {
  const ids = view.nodes.map((n) => n.nodeId);
  const total = Object.keys(view.shardOwners).length + view.unownedShards.length;
  const cells: HTMLElement[] = [];
  for (let s = 0; s < total; s++) {
    const owner = view.shardOwners[String(s)];
    const cell = h('li', { title: `shard ${s}: ${owner ?? 'unowned'}`, class: owner ? 'owned' : 'unowned' }, String(s));
    if (owner) cell.style.setProperty('background', colorOf(ids, owner));
    cells.push(cell);
  }
  return h('div', null,
    h('ul', { class: 'shard-map', 'aria-label': `${total} shards; ${view.unownedShards.length} without an owner` }, cells),
    view.unownedShards.length ? h('p', { class: 'warn' }, `${view.unownedShards.length} shards have no owner right now.`) : h('p', { class: 'muted small' }, 'Every shard has an owner.'));
}

interface Report { title: string; path: string; columns: [string, (row: Record<string, unknown>, r: Record<string, unknown>) => Child][] }

/** "electronics/audio/headphones" with a line-break chance after each slash, so it wraps there. */
function categoryPath(path: string): Child[] {
  const parts = path.split('/');
  return parts.flatMap((part, i) => (i < parts.length - 1 ? [`${part}/`, h('wbr')] : [part]));
}

const reports: Report[] = [
  { title: 'Top searches (last hour)', path: '/v1/admin/analytics/top-searches?window=hour&limit=10', columns: [['Query', (r) => String(r.query ?? '')], ['Searches', (r) => String(r.count ?? 0)]] },
  { title: 'Most viewed (last day)', path: '/v1/admin/analytics/top-products?by=views&window=day&limit=10', columns: [['Product', (r) => String(r.title ?? r.sku ?? '')], ['Views', (r) => String(r.count ?? 0)]] },
  { title: 'Most ordered (last day)', path: '/v1/admin/analytics/top-products?by=orders&window=day&limit=10', columns: [['Product', (r) => String(r.title ?? r.sku ?? '')], ['Orders', (r) => String(r.count ?? 0)]] },
  {
    title: 'Revenue by category (last day)', path: '/v1/admin/analytics/revenue?by=category&window=day',
    columns: [['Category', (r) => categoryPath(String(r.category ?? ''))], ['Revenue', (r, all) => money(Number(r.revenue ?? 0), String(all.currency ?? 'USD'))], ['Orders', (r) => String(r.orders ?? 0)]],
  },
];

export async function analytics(container: HTMLElement, token: string): Promise<void> {
  const cards = await Promise.all(reports.map(async (rep) => {
    let content: HTMLElement;
    try {
      const data = await api<Record<string, unknown> & { items?: Record<string, unknown>[] }>('GET', rep.path, { token });
      const items = data.items ?? [];
      content = items.length === 0
        ? h('p', { class: 'muted' }, 'Nothing yet in this window.')
        : scrolling(h('table', null,
          h('thead', null, h('tr', null, rep.columns.map(([t]) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, items.map((row) => h('tr', null, rep.columns.map(([, f]) => h('td', null, f(row, data))))))), rep.title);
    } catch (err) {
      content = h('p', { class: 'muted', 'data-unavailable': 'true' }, err instanceof ApiError && err.status === 404 ? 'Not available on this server.' : `Could not load: ${(err as Error).message}`);
    }
    return h('section', { class: 'panel report' }, h('h3', null, rep.title), content);
  }));
  render(container, cards);
}
