// Payment (the checkout page of one order), the order history and one order with its
// lines, totals, delivery estimate and timeline.
import { api, randomId, ApiError } from '../api.ts';
import { loadFailedNotice, requireUser, setCartCount } from '../chrome.ts';
import { byId, dateTime, day, disableWhileBusy, flashOnNextPage, formError, h, money, render, statusLabel, toast } from '../dom.ts';
import { explain } from '../messages.ts';
import type { Cart, Order, OrderStep, Page } from '../types.ts';

const orderIdFromPath = () => decodeURIComponent(location.pathname.split('/').pop() ?? '');

function statusBadge(status: string, testid?: string): HTMLElement {
  return h('span', { class: `status ${status}`, 'data-testid': testid, 'data-status': status }, statusLabel(status));
}

function totals(o: Order): HTMLElement {
  const row = (label: string, minor: number | undefined, strong = false) =>
    minor === undefined || (minor === 0 && !strong) ? null : [h('dt', null, label), h('dd', null, strong ? h('strong', null, money(minor, o.currency)) : money(minor, o.currency))];
  return h('dl', { class: 'totals' },
    row('Subtotal', o.subtotal),
    row('Discount', o.discount ? -o.discount : undefined),
    row('Points used', o.pointsUsed ? -o.pointsUsed : undefined),
    row('Shipping', o.shipping),
    row('Total', o.total, true));
}

function lines(o: Order): HTMLElement {
  return h('table', { class: 'order-lines' },
    h('caption', { class: 'sr-only' }, 'Items in this order'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Item'), h('th', { scope: 'col' }, 'Qty'), h('th', { scope: 'col' }, 'Price'))),
    h('tbody', null, o.items.map((l) => h('tr', null,
      h('td', null, h('a', { href: `/product/${encodeURIComponent(l.sku)}` }, l.title)),
      h('td', null, String(l.qty)),
      h('td', null, money(l.lineTotal ?? l.price * l.qty, o.currency))))));
}

function addressOf(o: Order): HTMLElement | null {
  const a = o.address;
  if (!a || !a.line1) return null;
  return h('div', null, h('h2', null, 'Delivering to'), h('address', null, a.line1, h('br'), `${a.city ?? ''}, ${a.region ?? ''} ${a.postalCode ?? ''}`, h('br'), a.country ?? ''));
}

/**
 * The signed-in user's order named by the path, or undefined once `root` says why not
 * (signed out, no such order, the API failing).
 */
async function orderOfPage(root: HTMLElement | null): Promise<Order | undefined> {
  if (!(await requireUser(root))) return undefined;
  try {
    return await api<Order>('GET', `/v1/orders/${encodeURIComponent(orderIdFromPath())}`);
  } catch (err) {
    render(root, err instanceof ApiError && err.status === 404 ? h('p', { class: 'notice' }, 'No such order. ', h('a', { href: '/orders' }, 'Your orders')) : loadFailedNotice(err));
    return undefined;
  }
}

export async function checkoutPage(): Promise<void> {
  const root = byId('checkout');
  const o = await orderOfPage(root);
  if (!o) return;
  const orderId = o.orderId;
  if (o.status !== 'pending_payment') {
    location.replace(`/orders/${encodeURIComponent(orderId)}`);
    return;
  }
  const titleOf = (sku: string) => o.items.find((l) => l.sku === sku)?.title;
  // Payable only while the items are reserved: after reservedUntil the server lets the
  // order expire, so Pay would only fail.
  const reservedUntil = o.reservedUntil ? Date.parse(o.reservedUntil) : Number.NaN;
  const reservationEnded = () => reservedUntil <= Date.now();
  const token = h('input', { id: 'pay-token', name: 'token', required: true, autocomplete: 'off', list: 'test-cards', 'data-testid': 'pay-token', placeholder: 'tok_ok', 'aria-describedby': 'card-hint' });
  const form = h('form', { class: 'pay stack', 'aria-labelledby': 'pay-h' },
    h('h2', { id: 'pay-h' }, 'Payment'),
    h('label', { for: 'pay-token' }, 'Card token'), token,
    h('datalist', { id: 'test-cards' }, h('option', { value: 'tok_ok' }, 'approves'), h('option', { value: 'tok_decline' }, 'declines')),
    h('p', { class: 'hint', id: 'card-hint' }, 'Test cards: tok_ok approves, tok_decline declines.'),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'pay-submit' }, `Pay ${money(o.total, o.currency)}`));
  // The same key while an attempt's answer is unknown (503 payment_pending), a new one per card.
  let attempt = { token: '', key: '' };
  let ended = false;
  const endReservation = () => {
    token.disabled = true;
    form.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled = true;
    if (ended) return;
    ended = true;
    form.after(h('p', { class: 'notice reservation-ended', role: 'alert' },
      'The reservation for this order has ended, so it can no longer be paid. ', h('a', { href: '/cart' }, 'Back to your cart'), ' to check out again.'));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (reservationEnded()) return endReservation();
    const card = token.value.trim();
    if (!card) return formError(form, 'Enter a card token, for example tok_ok.');
    if (attempt.token !== card) attempt = { token: card, key: randomId() };
    const enable = disableWhileBusy(form.querySelector<HTMLButtonElement>('button[type="submit"]')!);
    formError(form, null);
    try {
      await api('POST', `/v1/orders/${encodeURIComponent(orderId)}/pay`, { body: { paymentMethod: { type: 'card', token: card } }, idempotencyKey: attempt.key });
      setCartCount(await api<Cart>('GET', '/v1/cart').catch(() => null));
      location.assign(`/orders/${encodeURIComponent(orderId)}?paid=1`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'payment_declined') {
        attempt = { token: '', key: '' };
        formError(form, 'Your card was declined. Try another card; the items stay reserved for you until the time shown.');
      } else if (err instanceof ApiError && err.code === 'order_expired') {
        endReservation();
      } else if (err instanceof ApiError && err.code === 'payment_pending') {
        formError(form, 'The payment provider has not answered yet. Press Pay again: you will not be charged twice.');
      } else {
        formError(form, explain(err, titleOf));
      }
      enable(!reservationEnded());
    }
  });
  const cancel = h('button', { type: 'button', class: 'link danger' }, 'Cancel this order');
  cancel.addEventListener('click', async () => {
    if (!confirm('Cancel this order? The items go back on sale.')) return;
    try {
      await api('POST', `/v1/orders/${encodeURIComponent(orderId)}/cancel`);
      // Said on the order page, as its own Cancel order says it.
      flashOnNextPage(doneMessages.cancel);
      location.assign(`/orders/${encodeURIComponent(orderId)}`);
    } catch (err) {
      toast(explain(err, titleOf), 'error');
    }
  });
  render(root, h('div', { class: 'checkout-layout' },
    h('section', { 'aria-label': 'Order summary', class: 'panel' },
      h('h2', null, 'Your order'),
      lines(o), totals(o), addressOf(o),
      o.delivery ? h('p', { class: 'eta' }, `Arrives by ${day(o.delivery.eta)}`) : null,
      o.reservedUntil ? h('p', { class: 'muted small' }, `Reserved for you until ${dateTime(o.reservedUntil)}.`) : null),
    h('section', { class: 'panel' }, form, cancel)));
  if (reservationEnded()) return endReservation();
  // Focus is not moved to the card field: on a phone that scrolled past the order and
  // opened the keyboard before the shopper had seen what they pay for.
  // setTimeout takes at most 2^31-1 ms (about 24 days); a reservation is minutes.
  if (Number.isFinite(reservedUntil)) setTimeout(endReservation, Math.min(reservedUntil - Date.now(), 2 ** 31 - 1));
}

function orderRow(o: Order): HTMLElement {
  const href = `/orders/${encodeURIComponent(o.orderId)}`;
  const count = o.items.reduce((n, l) => n + l.qty, 0);
  // The classes place each cell on a phone, where a row is a card (app.css).
  // Explicit roles: on a phone the rows are cards (another CSS display), which some
  // browsers take as leaving the table, headers and all, for screen readers.
  return h('tr', { 'data-testid': 'order-row', 'data-order-id': o.orderId, role: 'row' },
    h('td', { class: 'placed', role: 'cell' }, h('a', { href }, dateTime(o.createdAt))),
    h('td', { class: 'order-id', role: 'cell' }, h('code', null, o.orderId)),
    h('td', { class: 'items', role: 'cell' }, `${count} ${count === 1 ? 'item' : 'items'}`),
    h('td', { class: 'amount', role: 'cell' }, money(o.total, o.currency)),
    h('td', { class: 'state', role: 'cell' }, statusBadge(o.status)));
}

export async function ordersPage(): Promise<void> {
  const root = byId('orders');
  if (!(await requireUser(root))) return;
  try {
    const page = await api<Page<Order>>('GET', '/v1/orders?limit=20');
    if (page.items.length === 0) return render(root, h('p', { class: 'notice' }, 'No orders yet. ', h('a', { href: '/search' }, 'Start shopping'), '.'));
    const body = h('tbody', { role: 'rowgroup' }, page.items.map(orderRow));
    const more = h('button', { type: 'button', class: 'more', hidden: !page.nextCursor }, 'Show older orders');
    let cursor = page.nextCursor;
    more.addEventListener('click', async () => {
      if (!cursor) return;
      more.disabled = true;
      try {
        const next = await api<Page<Order>>('GET', `/v1/orders?limit=20&cursor=${encodeURIComponent(cursor)}`);
        const rows = next.items.map(orderRow);
        body.append(...rows);
        cursor = next.nextCursor;
        more.hidden = !cursor;
        // Focus goes to the first order just shown (as search's Show more does), not to the
        // page when the button hides itself on the last page.
        (rows[0] ?? body.lastElementChild)?.querySelector<HTMLElement>('a')?.focus();
      } catch (err) {
        toast(explain(err), 'error');
      } finally {
        more.disabled = false;
      }
    });
    render(root, h('table', { class: 'orders', role: 'table' },
      h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Placed', 'Order', 'Items', 'Total', 'Status'].map((t) => h('th', { scope: 'col', role: 'columnheader' }, t)))), body), more);
  } catch (err) {
    render(root, loadFailedNotice(err));
  }
}

const confirmations: Record<'cancel' | 'refund' | 'return', string | null> = {
  cancel: 'Cancel this order? The items go back on sale.',
  refund: 'Cancel this order and refund the payment?',
  return: null,
};

const doneMessages: Record<'cancel' | 'refund' | 'return', string> = {
  cancel: 'Your order was cancelled.',
  refund: 'Your order was cancelled and the payment refunded.',
  return: 'Your return was requested.',
};

async function orderAction(orderId: string, action: 'cancel' | 'refund' | 'return'): Promise<void> {
  // Cancelling cannot be undone: one stray click must not do it.
  const question = confirmations[action];
  if (question && !confirm(question)) return;
  try {
    await api('POST', `/v1/orders/${encodeURIComponent(orderId)}/${action}`);
    // Said on the page that loads next, as other actions say what they did.
    flashOnNextPage(doneMessages[action]);
    location.reload();
  } catch (err) {
    toast(err instanceof ApiError && err.status === 404 && err.code === 'not_found' && action !== 'cancel'
      ? `This server does not take ${action} requests yet.` : explain(err), 'error');
  }
}

/**
 * A timeline step's detail in a shopper's words. The server writes it for operators
 * ("paid 103318 USD", "reserved 1 line(s) in 1 part(s)", "declined: card_declined") and
 * the API answers it as written, so it is said again here; text we do not know is shown
 * as it came.
 */
function stepDetail(step: OrderStep): string | null {
  const detail = step.detail?.trim();
  if (!detail) return null;
  let m: RegExpMatchArray | null;
  if ((m = detail.match(/^(paid|refunded) (\d+) ([A-Z]{3})$/))) {
    const amount = money(Number(m[2]), m[3]);
    return m[1] === 'paid' ? `${amount} charged to your card.` : `${amount} refunded to your card.`;
  }
  if ((m = detail.match(/^reserved (\d+) line\(s\)/))) return Number(m[1]) === 1 ? 'The item was reserved for you.' : 'The items were reserved for you.';
  if ((m = detail.match(/^payment attempt (\d+)$/))) return Number(m[1]) > 1 ? `Charging your card (try ${m[1]}).` : 'Charging your card.';
  if (/^declined: /.test(detail)) return 'Your card was declined.';
  if ((m = detail.match(/^shipped with (.+), tracking (.+)$/))) return `Shipped with ${m[1]}, tracking number ${m[2]}.`;
  // null: the step's badge says it all.
  const plain: Record<string, string | null> = {
    'refund requested': 'Refund requested.',
    'cancelled by the customer': 'You cancelled the order; the items went back on sale.',
    'not paid in time; stock released': 'Not paid in time, so the items went back on sale.',
    'stock hold ran out; refunding the payment': 'The items were no longer reserved when the payment went through, so it is being refunded.',
    'payment refunded; stock released': 'Your payment was refunded.',
    delivered: null,
    'return requested': null,
    'returned goods received': 'We received the items you returned; refunding the payment.',
  };
  return Object.hasOwn(plain, detail) ? plain[detail] ?? null : detail;
}

/**
 * The statuses whose delivery estimate still means something: the API keeps `delivery` on a
 * cancelled, expired or refunded order (and a delivered one), where "Estimated delivery: …"
 * promised a parcel that will never come.
 */
const onItsWay = new Set(['pending_payment', 'paid', 'shipped']);

export async function orderPage(): Promise<void> {
  const root = byId('order');
  const o = await orderOfPage(root);
  if (!o) return;
  const justPaid = new URLSearchParams(location.search).has('paid') && o.status === 'paid';
  const actions = [
    o.status === 'pending_payment' ? h('a', { class: 'button primary', href: `/checkout/${encodeURIComponent(o.orderId)}` }, 'Pay now') : null,
    o.status === 'pending_payment' ? h('button', { type: 'button', class: 'secondary', onclick: () => void orderAction(o.orderId, 'cancel') }, 'Cancel order') : null,
    o.status === 'paid' ? h('button', { type: 'button', class: 'secondary', onclick: () => void orderAction(o.orderId, 'refund') }, 'Cancel and refund') : null,
    o.status === 'delivered' ? h('button', { type: 'button', class: 'secondary', onclick: () => void orderAction(o.orderId, 'return') }, 'Return it') : null,
  ];
  render(root,
    h('p', null, h('a', { href: '/orders' }, '← Your orders')),
    justPaid ? h('p', { class: 'notice ok', role: 'status' }, 'Thank you! Your payment went through.') : null,
    h('div', { class: 'order-head' }, h('h1', null, 'Order ', h('code', null, o.orderId)), statusBadge(o.status, 'order-status')),
    h('p', { class: 'muted' }, `Placed ${dateTime(o.createdAt)}`, o.paidAt ? ` · paid ${dateTime(o.paidAt)}` : ''),
    h('div', { class: 'checkout-layout' },
      h('section', { class: 'panel', 'aria-label': 'Items and totals' }, lines(o), totals(o),
        o.delivery && onItsWay.has(o.status) ? h('p', { class: 'eta' }, `Estimated delivery: ${day(o.delivery.eta)}`) : null,
        h('div', { class: 'actions' }, actions)),
      h('section', { class: 'panel', 'aria-labelledby': 'timeline-h' }, addressOf(o),
        h('h2', { id: 'timeline-h' }, 'Timeline'),
        h('ol', { class: 'timeline' }, (o.steps ?? o.timeline ?? []).map((t) => {
          const detail = stepDetail(t);
          // The saga's step (`state`: a declined card, a refund under way) says more in a timeline.
          return h('li', null, statusBadge(t.state ?? t.status), h('time', { datetime: t.at }, dateTime(t.at)), detail ? h('span', { class: 'muted small' }, detail) : null);
        })))));
}
