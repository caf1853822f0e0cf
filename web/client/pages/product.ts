// One product: price, live stock, the delivery estimate for the default address, add to
// cart or wishlist, its attributes and (where the server has them) related products.
import { ActionKey, api, ApiError, optional, session } from '../api.ts';
import { authHref, currentUser, loadFailedNotice, setCartCount } from '../chrome.ts';
import { byId, categoryName, day, disableWhileBusy, h, money, render, toast } from '../dom.ts';
import { explain } from '../messages.ts';
import { productGrid, stockBadge, stockOf, thumb } from '../product-card.ts';
import { maxUnitsPerOrder, type Cart, type Page, type Product, type Wishlist } from '../types.ts';

function breadcrumbs(category: string | undefined): HTMLElement | null {
  if (!category) return null;
  const parts = category.split('/');
  return h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('ol', null,
    h('li', null, h('a', { href: '/' }, 'Home')),
    parts.map((_, i) => {
      const path = parts.slice(0, i + 1).join('/');
      return h('li', null, h('a', { href: `/search?category=${encodeURIComponent(path)}` }, categoryName(path)));
    })));
}

function deliveryLine(p: Product, loggedIn: boolean, hasAddress: boolean): HTMLElement {
  if (p.delivery) return h('p', { class: 'eta', 'data-testid': 'product-delivery' }, `Arrives by ${day(p.delivery.eta)} (${p.delivery.days} ${p.delivery.days === 1 ? 'day' : 'days'})`);
  if (stockOf(p) === 'out_of_stock') return h('p', { class: 'muted' }, 'No delivery estimate while it is out of stock.');
  if (!loggedIn) return h('p', { class: 'muted' }, h('a', { href: authHref('/login') }, 'Log in'), ' to see when it would arrive.');
  if (!hasAddress) return h('p', { class: 'muted' }, h('a', { href: '/account' }, 'Add a delivery address'), ' to see when it would arrive.');
  return h('p', { class: 'muted' }, 'We cannot deliver this product to your default address.');
}

function attributes(attrs: Record<string, unknown> | undefined): HTMLElement | null {
  const entries = Object.entries(attrs ?? {});
  if (entries.length === 0) return null;
  return h('section', { 'aria-labelledby': 'details-h' }, h('h2', { id: 'details-h' }, 'Details'),
    h('dl', { class: 'attrs' }, entries.map(([k, v]) => [h('dt', null, categoryName(k)), h('dd', null, Array.isArray(v) ? v.join(', ') : String(v))])));
}

export async function productPage(): Promise<void> {
  const root = byId('product');
  const sku = decodeURIComponent(location.pathname.split('/').pop() ?? '');
  let p: Product;
  try {
    p = await api<Product>('GET', `/v1/products/${encodeURIComponent(sku)}`);
  } catch (err) {
    // A SKU that cannot be one (a mistyped or cut link: "/product/a b") is answered 400
    // `invalid_sku`; it is not there either, rather than the server's "sku must be 1-128
    // characters of letters, digits and _-:@+=".
    const missing = err instanceof ApiError && (err.status === 404 || err.code === 'invalid_sku');
    if (missing) document.title = 'Product not found · Shop';
    render(root, missing
      ? h('div', { class: 'notice' }, h('h1', null, 'Product not found'), h('p', null, 'It may have been removed. ', h('a', { href: '/search' }, 'Browse the catalog')))
      : loadFailedNotice(err));
    return;
  }
  document.title = `${p.title} · Shop`;
  const me = await currentUser().catch(() => null);
  const status = stockOf(p) ?? 'in_stock';
  const qty = h('input', { id: 'qty', type: 'number', min: 1, max: maxUnitsPerOrder, value: 1, inputmode: 'numeric', required: true });
  const add = h('button', { type: 'submit', class: 'primary', 'data-testid': 'add-to-cart', disabled: status === 'out_of_stock' }, status === 'out_of_stock' ? 'Out of stock' : 'Add to cart');
  const save = h('button', { type: 'button', class: 'secondary', 'data-testid': 'add-to-wishlist' }, '♡ Save to wishlist');
  const buy = h('form', { class: 'buy' }, h('label', { for: 'qty' }, 'Quantity'), qty, add);
  // Logged out is no token (a refused one is dropped as it is refused), not a user that
  // could not be read just now: that shopper is still logged in and is not sent to log in.
  const loggedOut = () => !session.token();
  // An add whose answer was lost (a dropped connection, a timeout) may have been made:
  // pressed again, it is sent with the same Idempotency-Key, so the server answers the first
  // add rather than adding the units a second time. A new key once the server has answered.
  const addKey = new ActionKey();
  buy.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (loggedOut()) return location.assign(authHref('/login'));
    const enable = disableWhileBusy(add);
    const units = Math.max(1, Math.min(maxUnitsPerOrder, Math.floor(Number(qty.value)) || 1));
    const body = { sku: p.sku, qty: units };
    try {
      const cart = await api<Cart>('POST', '/v1/cart/items', { body, idempotencyKey: addKey.for(body) });
      addKey.settle();
      setCartCount(cart);
      toast(`Added to your cart: ${p.title}`);
    } catch (err) {
      addKey.settle(err);
      toast(explain(err, () => p.title), 'error');
    } finally {
      enable();
    }
  });
  save.addEventListener('click', async () => {
    if (loggedOut()) return location.assign(authHref('/login'));
    try {
      await api('POST', '/v1/wishlist/items', { body: { sku: p.sku } });
      toast('Saved to your wishlist');
      save.textContent = '♥ In your wishlist';
    } catch (err) {
      toast(explain(err, () => p.title), 'error');
    }
  });
  render(root,
    breadcrumbs(p.category),
    h('article', { class: 'product' },
      thumb(p.sku, p.title, p.category, 'large'),
      h('div', { class: 'product-info' },
        h('h1', null, p.title),
        p.brand ? h('p', { class: 'muted' }, `by ${p.brand}`) : null,
        h('p', { class: 'price big', 'data-testid': 'product-price' }, money(p.price, p.currency)),
        stockBadge(status, 'product-stock'),
        deliveryLine(p, me !== null, Boolean(me?.defaultAddressId)),
        buy, save,
        h('p', { class: 'muted small' }, `SKU ${p.sku}`)),
    ),
    attributes(p.attributes),
    h('section', { id: 'related', 'aria-label': 'Related products' }));
  const [wishlist, related] = await Promise.all([
    me ? api<Wishlist>('GET', '/v1/wishlist').catch(() => null) : null,
    optional<Page<Product>>('GET', `/v1/products/${encodeURIComponent(p.sku)}/related?limit=6`).catch(() => undefined),
  ]);
  // Saved already: the button says so rather than offering to save it again.
  if (wishlist?.items.some((i) => i.sku === p.sku)) save.textContent = '♥ In your wishlist';
  if (related && related.items.length) render(byId('related'), h('h2', null, 'Bought together'), productGrid(related.items));
}
