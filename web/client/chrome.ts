// What every store page shares: the account menu or the log-in links, the cart count,
// the category menu and logging out.
import { api, optional, session, sessionEndedEvent, sessionEndedMessage, ApiError } from './api.ts';
import { byId, flashOnNextPage, h, here, render, showFlash } from './dom.ts';
import { explain } from './messages.ts';
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

/**
 * A link to log in or sign up that brings the visitor back to this page; on the log-in and
 * sign-up pages themselves, back to where those were to return to.
 */
export function authHref(path: '/login' | '/signup'): string {
  const onAuthPage = location.pathname === '/login' || location.pathname === '/signup';
  const next = onAuthPage ? new URLSearchParams(location.search).get('next') : here();
  return next && next !== '/' ? `${path}?next=${encodeURIComponent(next)}` : path;
}

/**
 * The header as this user (or a guest) sees it: the account menu or the log-in links.
 * `unread`: a token the server did not refuse, whose user could not be read just now; the
 * menu shows, as "Account".
 */
function showSignedIn(me: Me | null, unread = false): void {
  const signedIn = me !== null || unread;
  const menu = document.querySelector<HTMLDetailsElement>('[data-testid="account-menu"]');
  const guest = byId('guest-links');
  const name = byId('account-name');
  if (me && name) {
    render(name, me.name.split(/\s+/)[0] ?? me.name);
    // A long name is cut short with an ellipsis: the whole of it on hover.
    name.title = me.name;
  }
  if (menu) {
    menu.hidden = !signedIn;
    if (!signedIn) menu.open = false;
  }
  if (guest) guest.hidden = signedIn;
  if (!signedIn) setCartCount(null);
}

/** Reads the user and the cart again and shows them in the header (after a name change, or Back). */
export async function refreshHeader(): Promise<void> {
  refreshUser();
  let me: Me | null = null;
  let unread = false;
  try {
    me = await currentUser();
  } catch {
    // A busy server or a dropped connection is not a logged-out shopper: the header
    // offered Log in and Sign up (and an empty cart) beside the page's "try again".
    unread = session.token() !== null;
  }
  showSignedIn(me, unread);
  // A cart that could not be read is not an empty one: the count stays unsaid (the badge
  // starts empty) rather than telling the shopper "0" beside the page's "try again".
  if (me || unread) {
    const cart = await api<Cart>('GET', '/v1/cart').catch(() => undefined);
    if (cart) setCartCount(cart);
  }
}

/**
 * The server refused the token (logged out elsewhere, expired): the header goes back to
 * the log-in links and the page says so once, with a way back here after logging in.
 */
function sessionEnded(): void {
  meOnce = Promise.resolve(null);
  showSignedIn(null);
  if (byId('session-ended')) return;
  const onAuthPage = location.pathname === '/login' || location.pathname === '/signup';
  // On the log-in page the form is right there; elsewhere the link comes back to this page.
  const notice = onAuthPage
    ? h('p', { id: 'session-ended', class: 'notice', role: 'alert' }, sessionEndedMessage)
    : h('p', { id: 'session-ended', class: 'notice', role: 'alert' }, 'Your session has ended. Please ', h('a', { href: authHref('/login') }, 'log in again'), '.');
  byId('main')?.prepend(notice);
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
    // The token logged out is this page's: another tab may have stored a newer one meanwhile.
    const token = session.token();
    void api('POST', '/v1/auth/logout').catch(() => undefined).finally(() => {
      session.clearIf(token);
      // This page goes away at once: the homepage says it.
      flashOnNextPage('You are logged out.');
      location.assign('/');
    });
  });
  // Log in and Sign up come back to this page.
  document.querySelectorAll<HTMLAnchorElement>('#guest-links a').forEach((a) => {
    a.href = authHref(a.pathname === '/signup' ? '/signup' : '/login');
  });
  window.addEventListener(sessionEndedEvent, sessionEnded);
  // Logged out (or in as someone else) in another tab: said here at once, before this
  // page's next action finds it out.
  window.addEventListener('storage', () => {
    if (session.changedElsewhere()) sessionEnded();
  });
  showFlash();
  // Close the account menu with Escape, as a menu should.
  const accountMenu = document.querySelector<HTMLDetailsElement>('.account-menu');
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && accountMenu?.open) {
      accountMenu.open = false;
      accountMenu.querySelector('summary')?.focus();
    }
  });
  // It closes too when the shopper clicks or tabs away from it: left open, it covered the
  // page (on a phone, the top of the cart). Focus leaving for nowhere (a click on something
  // that takes no focus, such as a button in Safari) is left to the click, so a click on
  // Log out is not lost to the menu closing under it.
  document.addEventListener('click', (e) => {
    if (accountMenu?.open && !(e.target instanceof Node && accountMenu.contains(e.target))) accountMenu.open = false;
  });
  accountMenu?.addEventListener('focusout', (e) => {
    if (e.relatedTarget instanceof Node && !accountMenu.contains(e.relatedTarget)) accountMenu.open = false;
  });
  void refreshHeader();
  void showMenu();
}

/**
 * For pages that need a user: the user, or null once `container` says why not (a link to
 * log in and back here after, or why the user could not be read).
 */
export async function requireUser(container: Element | null): Promise<Me | null> {
  let me: Me | null;
  try {
    me = await currentUser();
  } catch (err) {
    // Not knowing who this is (the server busy, the connection down) is not being logged
    // out: said as the failure it is, instead of the page staying at "Loading…".
    render(container, loadFailedNotice(err));
    return null;
  }
  if (!me) {
    render(container, h('p', { class: 'notice' }, 'Please ', h('a', { href: authHref('/login') }, 'log in'), ' or ', h('a', { href: authHref('/signup') }, 'create an account'), ' first.'));
  }
  return me;
}

/** Shows an API error in a container, in plain words, with the request id for support. */
export function errorNotice(err: unknown): HTMLElement {
  const message = explain(err);
  const id = err instanceof ApiError && err.requestId ? ` (request ${err.requestId})` : '';
  return h('p', { class: 'notice error', role: 'alert' }, message + id);
}

/**
 * A page whose content could not be loaded: the error, and when trying again may help (no
 * connection, no answer in time, too many requests, the server busy) a button that loads
 * the page again, rather than leaving the shopper to find the browser's reload.
 */
export function loadFailedNotice(err: unknown): HTMLElement {
  const transient = !(err instanceof ApiError) || err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
  return h('div', { class: 'load-failed' }, errorNotice(err),
    transient ? h('button', { type: 'button', 'data-testid': 'try-again', onclick: () => location.reload() }, 'Try again') : null);
}
