// The HTML around every page: the store's header (search, cart, account) or the
// dashboard's, the hashed asset URLs, and the security headers that go with them.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AssetSet } from './assets.ts';

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Scripts and styles only from this origin; the API is called on the same origin. */
export const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

function head(a: AssetSet, title: string, script: 'store.js' | 'admin.js') {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${a.url('icon.svg')}">
<link rel="stylesheet" href="${a.url('app.css')}">
<script type="module" src="${a.url(script)}"></script>
</head>`;
}

/**
 * Every page's skip link goes to its content; search has a second one past the filters
 * (up to a dozen categories, brands and attribute values, the price boxes): from the top of
 * the page a keyboard user reached the first result after some 40 Tabs.
 */
export function storeShell(a: AssetSet, page: string, title: string, body: Markup): Markup {
  return html`<!doctype html>
<html lang="en">
${head(a, title === 'Shop' ? 'Shop' : `${title} · Shop`, 'store.js')}
<body data-page="${page}">
<a class="skip" href="#main">Skip to content</a>
${page === 'search' ? html`<a class="skip" href="#results">Skip to results</a>\n` : ''}<header class="top">
  <div class="top-inner">
    <a class="brand" href="/"><img src="${a.url('icon.svg')}" alt="" width="28" height="28"> Shop</a>
    <form class="search-form" role="search" action="/search" method="get">
      <label for="search-input" class="sr-only">Search products</label>
      <input id="search-input" name="q" type="search" placeholder="Search products" autocomplete="off" maxlength="200" data-testid="search-input">
      <button type="submit">Search</button>
    </form>
    <nav class="account-nav" aria-label="Your shopping">
      <a href="/wishlist">Wishlist</a>
      <a href="/cart" class="cart-link">Cart <span class="badge" data-testid="cart-count"></span></a>
      <span id="guest-links"><a href="/login">Log in</a> <a href="/signup" class="button small">Sign up</a></span>
      <details class="account-menu" data-testid="account-menu" hidden>
        <summary><span id="account-name">Account</span></summary>
        <ul>
          <li><a href="/account">Account and addresses</a></li>
          <li><a href="/orders">Orders</a></li>
          <li><a href="/wishlist">Wishlist</a></li>
          <li><button type="button" id="logout">Log out</button></li>
        </ul>
      </details>
    </nav>
  </div>
  <nav class="menu" id="menu" aria-label="Categories"></nav>
</header>
<main id="main" tabindex="-1">
${body}
</main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
<footer class="foot"><p>Test cards: <code>tok_ok</code> approves, <code>tok_decline</code> declines. <a href="/admin">Operator dashboard</a></p></footer>
</body>
</html>`;
}

export function adminShell(a: AssetSet): Markup {
  return html`<!doctype html>
<html lang="en">
${head(a, 'Operator dashboard · Shop', 'admin.js')}
<body data-page="admin" class="admin">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="top-inner">
  <a class="brand" href="/"><img src="${a.url('icon.svg')}" alt="" width="28" height="28"> Shop operators</a>
  <p class="live" id="live" aria-live="polite"></p>
  <button type="button" id="admin-logout" class="small" hidden>Forget token</button>
</div></header>
<main id="main" tabindex="-1">
  <section id="admin-login" class="narrow">
    <h1>Operator dashboard</h1>
    <form id="admin-form" class="stack" method="post">
      <label>Admin token <input name="token" type="password" autocomplete="off" required data-testid="admin-token"></label>
      <p class="hint">Kept in this tab's session storage only.</p>
      <p class="form-error" role="alert" hidden></p>
      <button class="primary" type="submit" data-testid="admin-submit">Open the dashboard</button>
    </form>
  </section>
  <div id="dashboard" hidden></div>
</main>
</body>
</html>`;
}
