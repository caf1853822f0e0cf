// What every store page shares: the account menu or the log-in links, the cart count,
// the category menu and logging out.
import { api, optional, session, ApiError } from './api.ts';
import { byId, h, render, toast } from './dom.ts';
import type { Cart, CategoryNode, Me } from './types.ts';

let meOnce: Promise<Me | null> | undefined;

/** The logged-in user, or null (no token, or one the server refused). */
export function currentUser(): Promise<Me | null> {
  meOnce ??= session.token()
    ? api<Me>('GET', '/v1/me').catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    })
    : Promise.resolve(null);
  return meOnce;
}

/** Forgets the cached user (after a profile change). */
export function refreshUser(): void {
  meOnce = undefined;
}

export function setCartCount(cart: Cart | null): void {
  const badge = document.querySelector<HTMLElement>('[data-testid="cart-count"]');
  if (!badge) return;
  const n = cart ? cart.items.reduce((sum, l) => sum + l.qty, 0) : 0;
  badge.textContent = String(n);
  badge.setAttribute('aria-label', `${n} ${n === 1 ? 'item' : 'items'} in your cart`);
}

async function showAccount(): Promise<void> {
  const me = await currentUser().catch(() => null);
  const menu = document.querySelector<HTMLDetailsElement>('[data-testid="account-menu"]');
  const guest = byId('guest-links');
  if (!me || !menu) return;
  render(byId('account-name'), me.name.split(/\s+/)[0] ?? me.name);
  menu.hidden = false;
  if (guest) guest.hidden = true;
  setCartCount(await api<Cart>('GET', '/v1/cart').catch(() => null));
}

async function showMenu(): Promise<void> {
  const tree = await optional<{ items: CategoryNode[] }>('GET', '/v1/categories').catch(() => undefined);
  const menu = byId('menu');
  if (!tree || !menu || tree.items.length === 0) return;
  render(menu, h('ul', null, tree.items.slice(0, 10).map((c) => h('li', null, h('a', { href: `/search?category=${encodeURIComponent(c.path)}` }, c.name)))));
}

export function initChrome(): void {
  const q = new URLSearchParams(location.search).get('q');
  const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]');
  if (input && q && location.pathname === '/search') input.value = q;
  byId('logout')?.addEventListener('click', () => {
    void api('POST', '/v1/auth/logout').catch(() => undefined).finally(() => {
      session.clear();
      toast('You are logged out.');
      location.assign('/');
    });
  });
  // Close the account menu with Escape, as a menu should.
  document.addEventListener('keydown', (e) => {
    const menu = document.querySelector<HTMLDetailsElement>('.account-menu[open]');
    if (e.key === 'Escape' && menu) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    }
  });
  void showAccount();
  void showMenu();
}

/** For pages that need a user: the user, or a redirect to log in (and back here after). */
export async function requireUser(container: Element | null): Promise<Me | null> {
  const me = await currentUser();
  if (!me) {
    render(container, h('p', { class: 'notice' }, 'Please ', h('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'log in'), ' or ', h('a', { href: '/signup' }, 'create an account'), ' first.'));
  }
  return me;
}

/** Shows an API error in a container, with the request id for support. */
export function errorNotice(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const id = err instanceof ApiError && err.requestId ? ` (request ${err.requestId})` : '';
  return h('p', { class: 'notice error', role: 'alert' }, message + id);
}
