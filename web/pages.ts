// The static part of each storefront page: its path, title and the markup that needs no
// data (forms with their labels), rendered on the server so it is there before any script.
// Forms with a password or an address are method="post": sent before the script has taken
// them (a slow connection, a password manager's auto-submit), a GET form put every field,
// passwords too, in the URL (history, logs); a POST is answered with the page again.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface StorePage {
  /** The name the client script switches on (`<body data-page>`). */
  page: string;
  path: string;
  title: string;
  body: Markup;
}

const loading = html`<p class="muted" data-loading>Loading…</p>`;

const signup = html`
<section class="narrow">
  <h1>Create your account</h1>
  <form id="signup-form" class="stack" method="post" novalidate>
    <label>Name <input name="name" autocomplete="name" required maxlength="200" data-testid="signup-name"></label>
    <label>Email <input name="email" type="email" autocomplete="email" required data-testid="signup-email"></label>
    <label>Password <span class="hint">(at least 8 characters)</span>
      <input name="password" type="password" autocomplete="new-password" required minlength="8" data-testid="signup-password"></label>
    <p class="form-error" role="alert" hidden></p>
    <button class="primary" type="submit" data-testid="signup-submit">Sign up</button>
  </form>
  <p>Already have an account? <a href="/login">Log in</a></p>
</section>`;

const login = html`
<section class="narrow">
  <h1>Log in</h1>
  <form id="login-form" class="stack" method="post" novalidate>
    <label>Email <input name="email" type="email" autocomplete="email" required data-testid="login-email"></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="login-password"></label>
    <p class="form-error" role="alert" hidden></p>
    <button class="primary" type="submit" data-testid="login-submit">Log in</button>
  </form>
  <p>New here? <a href="/signup">Create an account</a></p>
</section>`;

const account = html`
<h1>Your account</h1>
<div class="account-grid">
  <section aria-labelledby="profile-h" class="panel">
    <h2 id="profile-h">Profile</h2>
    <div id="profile">${loading}</div>
  </section>
  <section aria-labelledby="addresses-h" class="panel">
    <h2 id="addresses-h">Addresses</h2>
    <ul id="addresses" class="addresses"></ul>
    <h3>Add an address</h3>
    <form id="address-form" class="stack" method="post" novalidate>
      <label>Street and number <input name="line1" autocomplete="address-line1" required maxlength="300" data-testid="address-line1"></label>
      <div class="row">
        <label>City <input name="city" autocomplete="address-level2" required maxlength="120" data-testid="address-city"></label>
        <label>State or region <input name="region" autocomplete="address-level1" required maxlength="120" data-testid="address-region"></label>
      </div>
      <div class="row">
        <label>Country code <input name="country" autocomplete="country" required minlength="2" maxlength="2" pattern="[A-Za-z]{2}" placeholder="US" data-testid="address-country"></label>
        <label>Postal code <input name="postalCode" autocomplete="postal-code" required maxlength="20" data-testid="address-postalCode"></label>
      </div>
      <label class="check"><input name="isDefault" type="checkbox" checked> Use as my default delivery address</label>
      <p class="form-error" role="alert" hidden></p>
      <button class="primary" type="submit" data-testid="address-submit">Save address</button>
    </form>
  </section>
</div>
<div class="account-grid security">
  <section aria-labelledby="sessions-h" class="panel" id="sessions-section">
    <h2 id="sessions-h" tabindex="-1">Signed-in devices</h2>
    <div id="sessions">${loading}</div>
  </section>
  <section aria-labelledby="password-h" class="panel" id="password-section">
    <h2 id="password-h">Change password</h2>
    <form id="password-form" class="stack" method="post" novalidate>
      <input name="username" autocomplete="username" hidden readonly>
      <label>Current password <input name="currentPassword" type="password" autocomplete="current-password" required maxlength="200" data-testid="password-current"></label>
      <label>New password <span class="hint">(at least 8 characters)</span>
        <input name="newPassword" type="password" autocomplete="new-password" required minlength="8" maxlength="200" data-testid="password-new"></label>
      <label>Confirm new password <input name="confirmPassword" type="password" autocomplete="new-password" required maxlength="200" data-testid="password-confirm"></label>
      <p class="form-error" role="alert" hidden></p>
      <button class="primary" type="submit" data-testid="password-submit">Change password</button>
      <p class="form-ok" role="status" data-testid="password-done"></p>
    </form>
  </section>
</div>`;

export const storePages: StorePage[] = [
  { page: 'home', path: '/', title: 'Shop', body: html`<div id="home">${loading}</div>` },
  {
    page: 'search', path: '/search', title: 'Search',
    // On a phone the filters fold behind "Filters" (search.ts closes it there) so results come first.
    body: html`<div class="search-layout"><details id="filters" class="filters" open><summary>Filters</summary><aside id="facets" aria-label="Filters"></aside></details><section id="results" aria-live="polite" tabindex="-1">${loading}</section></div>`,
  },
  { page: 'product', path: '/product/:sku', title: 'Product', body: html`<div id="product">${loading}</div>` },
  { page: 'cart', path: '/cart', title: 'Your cart', body: html`<h1 id="cart-h" tabindex="-1">Your cart</h1><div id="cart">${loading}</div>` },
  { page: 'wishlist', path: '/wishlist', title: 'Wishlist', body: html`<h1 id="wishlist-h" tabindex="-1">Your wishlist</h1><div id="wishlist">${loading}</div>` },
  { page: 'signup', path: '/signup', title: 'Sign up', body: signup },
  { page: 'login', path: '/login', title: 'Log in', body: login },
  { page: 'account', path: '/account', title: 'Your account', body: account },
  { page: 'checkout', path: '/checkout/:orderId', title: 'Checkout', body: html`<h1>Checkout</h1><div id="checkout">${loading}</div>` },
  { page: 'orders', path: '/orders', title: 'Your orders', body: html`<h1>Your orders</h1><div id="orders">${loading}</div>` },
  { page: 'order', path: '/orders/:orderId', title: 'Order', body: html`<div id="order">${loading}</div>` },
];

/** A page the shop does not have (a mistyped or stale link), for a browser: not the API's JSON 404. */
export const notFoundPage: StorePage = {
  page: 'not-found', path: '*', title: 'Page not found',
  body: html`<section class="narrow">
  <h1>Page not found</h1>
  <p>There is no page at this address: the link may be mistyped or out of date.</p>
  <p><a href="/">Go to the homepage</a> or search for what you are looking for.</p>
</section>`,
};
