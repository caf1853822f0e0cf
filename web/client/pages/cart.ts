// The cart (quantities, removal, subtotal, where to deliver, a coupon) and its checkout
// button, which reserves the stock and opens the payment page; and the wishlist.
import { api, randomId, ApiError } from '../api.ts';
import { loadFailedNotice, requireUser, setCartCount } from '../chrome.ts';
import { byId, disableWhileBusy, formError, h, money, redrawKeepingFocus, render, toast } from '../dom.ts';
import { explain, type TitleOf } from '../messages.ts';
import { thumb } from '../product-card.ts';
import { maxUnitsPerOrder, type Cart, type CheckoutAnswer, type Me, type Order, type Page, type Wishlist } from '../types.ts';

const titleIn = (cart: Cart): TitleOf => (sku) => cart.items.find((l) => l.sku === sku)?.title;

/**
 * An unpaid order of exactly this cart to this address, reserved for a minute more at
 * least. The cart keeps its lines until payment, and Back or a reload brings it again with
 * a new idempotency key: pressing Check out again reserved everything a second time (and
 * a third, until "too many unpaid orders"), each order holding its own stock. That order's
 * payment page is opened instead. With a coupon the order is made afresh: a code is not
 * part of the order's answer, so a match cannot be told; nor at other prices.
 */
async function unpaidOrderOf(cart: Cart, addressId: string | undefined): Promise<Order | undefined> {
  const recent = await api<Page<Order>>('GET', '/v1/orders?limit=5').catch(() => undefined);
  // At the prices the cart shows: after a price change the order's were not the subtotal
  // the shopper saw, and a new order is made at today's.
  const sameLines = (o: Order) => o.currency === cart.currency && o.items.length === cart.items.length
    && cart.items.every((l) => o.items.some((i) => i.sku === l.sku && i.qty === l.qty && i.price === l.price));
  return recent?.items.find((o) => o.status === 'pending_payment' && !o.discount && !o.pointsUsed
    && Date.parse(o.reservedUntil ?? '') > Date.now() + 60_000
    && (!addressId || o.address?.addressId === addressId) && sameLines(o));
}

function checkoutForm(me: Me, cart: Cart): HTMLFormElement {
  // Lines of products taken off sale: out of the subtotal, and checkout refuses them (409).
  const gone = cart.items.filter((l) => l.unavailable);
  const addressSelect = me.addresses.length
    ? h('select', { id: 'ship-to', name: 'addressId' }, me.addresses.map((a) => h('option', { value: a.addressId, selected: a.addressId === me.defaultAddressId }, `${a.line1}, ${a.city} ${a.postalCode}, ${a.country}`)))
    : null;
  const form = h('form', { class: 'checkout-box stack', 'aria-label': 'Checkout' },
    h('p', { class: 'total' }, 'Subtotal ', h('strong', { 'data-testid': 'cart-subtotal' }, money(cart.subtotal, cart.currency))),
    addressSelect ? h('label', { for: 'ship-to' }, 'Deliver to') : h('p', { class: 'notice' }, 'No delivery address yet: ', h('a', { href: '/account' }, 'add one on your account page'), '.'),
    addressSelect,
    h('label', null, 'Coupon code (optional) ', h('input', { name: 'couponCode', autocomplete: 'off', maxlength: 64 })),
    gone.length ? h('p', { class: 'notice error', 'data-testid': 'cart-unavailable' }, `No longer sold: ${gone.map((l) => l.title).join(', ')}. Remove ${gone.length === 1 ? 'it' : 'them'} to check out.`) : null,
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'checkout', disabled: cart.items.length === 0 || gone.length > 0 }, 'Check out'));
  // One key per visit to the cart: a double click or a retry never reserves twice.
  const key = randomId();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body: Record<string, string> = {};
    const addressId = data.get('addressId');
    const coupon = String(data.get('couponCode') ?? '').trim();
    if (typeof addressId === 'string' && addressId) body.addressId = addressId;
    if (coupon) body.couponCode = coupon;
    const enable = disableWhileBusy(form.querySelector('button')!);
    formError(form, null);
    try {
      const unpaid = coupon ? undefined : await unpaidOrderOf(cart, body.addressId);
      if (unpaid) return location.assign(`/checkout/${encodeURIComponent(unpaid.orderId)}`);
      const order = await api<CheckoutAnswer>('POST', '/v1/checkout', { body, idempotencyKey: `${key}-${coupon}-${addressId ?? ''}` });
      location.assign(`/checkout/${encodeURIComponent(order.orderId)}`);
    } catch (err) {
      formError(form, explain(err, titleIn(cart)));
      enable();
    }
  });
  return form;
}

/**
 * Runs the cart's changes one after another, each sent once the one before was answered:
 * sent side by side, a quantity typed as 5 then 2 could reach the server as 2 then 5 (the
 * first held up on the way), and the cart kept 5, the box going back to it. `last()` says
 * whether no other change is waiting, so only the last answer is drawn.
 */
function serialQueue(): { run(job: (last: () => boolean) => Promise<void>): void } {
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;
  return {
    run(job) {
      waiting++;
      tail = tail.then(async () => {
        waiting--;
        await job(() => waiting === 0).catch(() => undefined);
      });
    },
  };
}

function cartView(me: Me, cart: Cart, rerender: (c: Cart) => void, changes: ReturnType<typeof serialQueue>): HTMLElement[] {
  setCartCount(cart);
  if (cart.items.length === 0) {
    return [h('p', { class: 'notice' }, 'Your cart is empty. ', h('a', { href: '/search' }, 'Find something you like'), '.')];
  }
  const change = (sku: string, qty: number) => changes.run(async (last) => {
    try {
      const answer = qty === 0 ? await api<Cart>('DELETE', `/v1/cart/items/${encodeURIComponent(sku)}`) : await api<Cart>('PATCH', `/v1/cart/items/${encodeURIComponent(sku)}`, { body: { qty } });
      // A change still to be sent is drawn by its own answer: this one would put the box
      // back to the number typed before it, for a moment.
      if (last()) rerender(answer);
    } catch (err) {
      toast(explain(err, titleIn(cart)), 'error');
      // The boxes go back to what the cart holds: one left at the refused quantity read as
      // done, beside the old line total and subtotal. Read again rather than assumed: a
      // change whose answer was lost (a dropped connection, a 503 timeout) may have been
      // made, and Check out orders what the server holds.
      rerender(await api<Cart>('GET', '/v1/cart').catch(() => cart));
    }
  });
  const rows = cart.items.map((l) => {
    const qty = h('input', { type: 'number', min: 0, max: maxUnitsPerOrder, value: l.qty, 'aria-label': `Quantity of ${l.title}`, class: 'qty', 'data-control': 'qty', disabled: l.unavailable });
    qty.addEventListener('change', () => {
      // An emptied box (cleared to type another number, or holding no number) is not 0:
      // it took the line out of the cart. The line stays as it is.
      if (qty.value.trim() === '') return rerender(cart);
      change(l.sku, Math.max(0, Math.min(maxUnitsPerOrder, Math.floor(Number(qty.value)) || 0)));
    });
    return h('li', { class: 'line', 'data-sku': l.sku },
      thumb(l.sku, l.title),
      h('div', null, h('a', { href: `/product/${encodeURIComponent(l.sku)}` }, l.title), h('p', { class: 'muted small' }, `${money(l.price, l.currency)} each`)),
      qty,
      // A line taken off sale is not in the subtotal: its price times its quantity beside
      // a subtotal without it read as a sum that did not add up.
      l.unavailable ? h('strong', { class: 'line-total danger' }, 'No longer sold') : h('strong', { class: 'line-total' }, money(l.price * l.qty, l.currency)),
      h('button', { type: 'button', class: 'link', 'data-control': 'remove', onclick: () => change(l.sku, 0) }, 'Remove', h('span', { class: 'sr-only' }, ` ${l.title}`)));
  });
  return [h('div', { class: 'cart-layout' }, h('ul', { class: 'lines' }, rows), checkoutForm(me, cart))];
}

export async function cartPage(): Promise<void> {
  const root = byId('cart');
  const me = await requireUser(root);
  if (!me) return;
  // After a quantity change or Remove, focus stays on that line (or the next, or the heading).
  const changes = serialQueue();
  const show = (cart: Cart) => redrawKeepingFocus(root, byId('cart-h'), () => render(root, cartView(me, cart, show, changes)));
  try {
    show(await api<Cart>('GET', '/v1/cart'));
  } catch (err) {
    render(root, loadFailedNotice(err));
  }
}

export async function wishlistPage(): Promise<void> {
  const root = byId('wishlist');
  if (!(await requireUser(root))) return;
  let titleOf: TitleOf = () => undefined;
  const draw = (w: Wishlist) => {
    titleOf = (sku) => w.items.find((i) => i.sku === sku)?.title;
    if (w.items.length === 0) return render(root, h('p', { class: 'notice' }, 'Nothing saved yet. Use “Save to wishlist” on a product page.'));
    render(root, h('ul', { class: 'lines' }, w.items.map((i) => h('li', { class: 'line', 'data-sku': i.sku },
      thumb(i.sku, i.title),
      h('div', null, h('a', { href: `/product/${encodeURIComponent(i.sku)}` }, i.title),
        i.unavailable ? h('p', { class: 'small danger' }, 'No longer sold') : h('p', { class: 'muted small' }, money(i.price, i.currency ?? 'USD'))),
      // A product taken off sale cannot go to the cart: the button only failed, telling
      // the shopper to remove it "from your cart".
      i.unavailable ? null : h('button', { type: 'button', class: 'secondary', 'data-control': 'move', onclick: () => void moveToCart(i.sku) }, 'Move to cart'),
      h('button', { type: 'button', class: 'link', 'data-control': 'remove', onclick: () => void remove(i.sku) }, 'Remove', h('span', { class: 'sr-only' }, ` ${i.title}`))))));
  };
  // After Move to cart or Remove, focus goes to the next line (or the heading), not the page.
  const show = (w: Wishlist) => redrawKeepingFocus(root, byId('wishlist-h'), () => draw(w));
  const remove = async (sku: string) => {
    try {
      show(await api<Wishlist>('DELETE', `/v1/wishlist/items/${encodeURIComponent(sku)}`));
    } catch (err) {
      toast(explain(err, titleOf), 'error');
    }
  };
  // One move of a product at a time: a second click while the first was under way found
  // it gone from the wishlist and put it in the cart a second time (qty 2). (Not by
  // disabling the button: a disabled button drops keyboard focus to the page.)
  const moving = new Set<string>();
  const moveToCart = async (sku: string) => {
    if (moving.has(sku)) return;
    moving.add(sku);
    try {
      try {
        setCartCount(await api<Cart>('POST', `/v1/wishlist/items/${encodeURIComponent(sku)}/move-to-cart`));
      } catch (err) {
        // Only a server without the route ("no route POST …"), not a product no longer in
        // the wishlist (moved by a retry whose first answer was lost): that one is said.
        if (!(err instanceof ApiError && err.status === 404 && err.code === 'not_found' && err.message.startsWith('no route'))) throw err;
        // A server without the move route: the same in two steps.
        setCartCount(await api<Cart>('POST', '/v1/cart/items', { body: { sku, qty: 1 } }));
        await api('DELETE', `/v1/wishlist/items/${encodeURIComponent(sku)}`);
      }
      toast('Moved to your cart');
      show(await api<Wishlist>('GET', '/v1/wishlist'));
    } catch (err) {
      toast(explain(err, titleOf), 'error');
    } finally {
      moving.delete(sku);
    }
  };
  try {
    show(await api<Wishlist>('GET', '/v1/wishlist'));
  } catch (err) {
    render(root, loadFailedNotice(err));
  }
}
