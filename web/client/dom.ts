/// <reference lib="dom" />
// A small element builder and the shared bits of the store's pages (toasts, formatting).

type Attr = string | number | boolean | undefined | null | EventListener;
export type Child = Node | string | number | null | undefined | false | Child[];

/** Creates an element: `on*` attributes become listeners, `true` an empty attribute, false/undefined none. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, Attr> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function render(el: Element | null, ...children: Child[]): void {
  if (!el) return;
  el.replaceChildren();
  append(el, children);
}

/**
 * Redraws a list of lines (elements with data-sku) without throwing keyboard focus to the
 * page: a focused control (data-control) of a line is focused again in that line after the
 * redraw or, when the line went, in the line now in its place; an empty list focuses
 * `fallback` (its heading). Focus elsewhere is left alone.
 */
export function redrawKeepingFocus(root: HTMLElement | null, fallback: HTMLElement | null, redraw: () => void): void {
  const active = document.activeElement;
  const line = root && active instanceof HTMLElement && root.contains(active) ? active.closest<HTMLElement>('[data-sku]') : null;
  if (!root || !line || !(active instanceof HTMLElement)) return redraw();
  const index = Array.from(root.querySelectorAll('[data-sku]')).indexOf(line);
  redraw();
  const lines = Array.from(root.querySelectorAll<HTMLElement>('[data-sku]'));
  const target = lines.find((l) => l.dataset.sku === line.dataset.sku) ?? lines[Math.min(index, lines.length - 1)];
  const control = active.dataset.control;
  const same = control ? target?.querySelector<HTMLElement>(`[data-control="${CSS.escape(control)}"]`) : null;
  (same ?? target?.querySelector<HTMLElement>('input, button, a') ?? fallback)?.focus();
}

/**
 * Disables a button while its action runs, and returns what enables it again. A disabled
 * button drops keyboard focus to the page: after Add to cart (or a declined Pay) with the
 * keyboard, Enter did nothing more and a screen reader was left at the top of the page.
 * Focus goes back to the button when it had it and nothing else has taken it since.
 */
export function disableWhileBusy(button: HTMLButtonElement): (enabled?: boolean) => void {
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  return (enabled = true) => {
    button.disabled = !enabled;
    const active = document.activeElement;
    if (enabled && hadFocus && (active === null || active === document.body)) button.focus();
  };
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

let toastTimer: number | undefined;
/** A short message in the live region at the bottom of the page. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const el = byId('toast');
  if (!el) return;
  el.textContent = message;
  el.className = `toast show ${kind}`;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.className = 'toast'), 3500);
}

const flashKey = 'shop.flash';

/** A message for the next page of this tab, for actions that navigate away at once. */
export function flashOnNextPage(message: string): void {
  sessionStorage.setItem(flashKey, message);
}

/** Shows (once) the message the previous page left. */
export function showFlash(): void {
  const message = sessionStorage.getItem(flashKey);
  if (!message) return;
  sessionStorage.removeItem(flashKey);
  toast(message);
}

/** Shows (or hides, with null) a form's error paragraph. */
export function formError(form: HTMLFormElement, message: string | null): void {
  const p = form.querySelector<HTMLElement>('.form-error');
  if (!p) return;
  p.textContent = message ?? '';
  p.hidden = message === null;
}

const digitsCache = new Map<string, number>();
function fractionDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

/** Minor units (cents) as money in the reader's locale. */
export function money(minor: number, currency = 'USD'): string {
  const value = minor / 10 ** fractionDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

export function toMinor(units: number, currency = 'USD'): number {
  return Math.round(units * 10 ** fractionDigits(currency));
}

export function fromMinor(minor: number, currency = 'USD'): number {
  return minor / 10 ** fractionDigits(currency);
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A day as "Mon, Nov 30". A date alone ("2026-11-30", as delivery estimates come) is that
 * calendar day wherever the reader is: read as an instant it is midnight UTC, which west of
 * Greenwich is the evening before, and every estimate in the Americas was a day early.
 */
export function day(iso: string): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const d = new Date(dateOnly ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric', ...(dateOnly ? { timeZone: 'UTC' } : {}) });
}

/** "electronics/audio/headphones" → "Headphones". */
export function categoryName(path: string): string {
  const last = path.split('/').pop() ?? path;
  return last.replace(/-|_/g, ' ').replace(/([a-z])([A-Z])/g, (_, a: string, b: string) => `${a} ${b.toLowerCase()}`).replace(/^\w/, (c) => c.toUpperCase());
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

/** The current path and query, to come back to after logging in. */
export function here(): string {
  return location.pathname + location.search;
}
