/// <reference lib="dom" />
// The storefront's one script: the shared header, then the page named by <body data-page>.
import { initChrome, refreshHeader } from './chrome.ts';
import { session } from './api.ts';
import { homePage } from './pages/home.ts';
import { searchPage, showUrlInControls } from './pages/search.ts';
import { productPage } from './pages/product.ts';
import { cartPage, wishlistPage } from './pages/cart.ts';
import { loginPage, signupPage } from './pages/auth.ts';
import { accountPage } from './pages/account.ts';
import { checkoutPage, orderPage, ordersPage } from './pages/orders.ts';

const pages: Record<string, () => void | Promise<void>> = {
  home: homePage, search: searchPage, product: productPage, cart: cartPage, wishlist: wishlistPage, signup: signupPage,
  login: loginPage, account: accountPage, checkout: checkoutPage, orders: ordersPage, order: orderPage,
};

/**
 * Pages that stay as they are when Back or Forward brings them out of the browser's
 * back/forward cache: search results (with what "Show more" added and the scroll position)
 * only need their controls set from the URL again.
 */
const restorable: Record<string, () => void> = { search: showUrlInControls };

const page = document.body.dataset.page ?? '';
initChrome();
void pages[page]?.();

// Any other page restored from that cache shows what was true when it was left: a cart
// since checked out, a Pay form for an order since paid or cancelled. It loads afresh.
window.addEventListener('pageshow', (e) => {
  if (!e.persisted) return;
  const restore = restorable[page];
  // Brought back from the back/forward cache after a log-in, a log-out or another user's
  // log-in in this tab or another: shown again with the session there is now, not as one
  // that ended.
  if (!restore || session.changedElsewhere()) return location.reload();
  restore();
  void refreshHeader();
});
