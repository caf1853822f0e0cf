/// <reference lib="dom" />
// The storefront's one script: the shared header, then the page named by <body data-page>.
import { initChrome } from './chrome.ts';
import { homePage } from './pages/home.ts';
import { searchPage } from './pages/search.ts';
import { productPage } from './pages/product.ts';
import { cartPage, wishlistPage } from './pages/cart.ts';
import { loginPage, signupPage } from './pages/auth.ts';
import { accountPage } from './pages/account.ts';
import { checkoutPage, orderPage, ordersPage } from './pages/orders.ts';

const pages: Record<string, () => void | Promise<void>> = {
  home: homePage, search: searchPage, product: productPage, cart: cartPage, wishlist: wishlistPage, signup: signupPage,
  login: loginPage, account: accountPage, checkout: checkoutPage, orders: ordersPage, order: orderPage,
};

initChrome();
void pages[document.body.dataset.page ?? '']?.();
