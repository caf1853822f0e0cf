// The order after payment, over HTTP against node and gateway processes on the real NATS,
// Redis and MariaDB: shipped → delivered → return → returned (refunded and restocked), a
// refund before shipping (money, units, points and coupon back, exactly once under
// retries), wrong transitions refused, every change on the timeline and on ORDERS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adminToken, call, signupBuyer, startStack, type Stack } from './support/gateway.ts';
import { eventually, natsConnection } from './support/harness.ts';
import { ordersStream } from '../stores/events/index.ts';
import { ClusterClient } from '../cluster/index.ts';
import { InventoryApi } from '../actors/inventory/index.ts';

let s: Stack;
type User = Awaited<ReturnType<typeof signupBuyer>>;

const admin = (method: string, path: string, body?: unknown) => call(s.url, method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });
async function setStock(sku: string, onHand: number): Promise<void> {
  const r = await admin('PUT', `/v1/admin/inventory/${sku}`, { warehouses: [{ warehouseId: 'wh-east', onHand }] });
  assert.is(r.status, 200, JSON.stringify(r.body));
}
const stock = async (sku: string) => (await call(s.url, 'GET', `/v1/inventory/${sku}`)).body as { available: number; reserved: number; onHand: number };
const checkout = (u: User, body: unknown) => call(s.url, 'POST', '/v1/checkout', { token: u.token, body });
const pay = (u: User, orderId: string) => call(s.url, 'POST', `/v1/orders/${orderId}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_ok' } } });
const me = async (u: User) => (await call(s.url, 'GET', '/v1/me', { token: u.token })).body;
const order = async (u: User, orderId: string) => (await call(s.url, 'GET', `/v1/orders/${orderId}`, { token: u.token })).body;

interface Event { subject: string; data: { type: string; orderId: string; total: number; country?: string; lines: { sku: string; category: string }[] } }
/** Every event of an order on the ORDERS stream, in order. */
async function events(orderId: string): Promise<Event[]> {
  const nc = await natsConnection();
  try {
    const jsm = await nc.jetstreamManager();
    const name = ordersStream(s.env.cluster).name;
    const info = await jsm.streams.info(name);
    const out: Event[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(name, { seq }).catch(() => undefined);
      if (!m) continue;
      const data = m.json<Event['data']>();
      if (data.orderId === orderId) out.push({ subject: m.subject, data });
    }
    return out;
  } finally {
    await nc.close();
  }
}

test.before(async () => {
  s = await startStack('afterpay', { gatewayEnv: { RATE_LIMIT_AUTH_PER_MIN: '100000' } });
});
test.after(async () => {
  await s.stop();
});

test('shipped → delivered → return → returned: refunded and restocked, every step on the timeline and on ORDERS', async () => {
  await setStock('SKU-00042', 10);
  const u = await signupBuyer(s.url);
  const o = await checkout(u, { items: [{ sku: 'SKU-00042', qty: 2 }] });
  const id = o.body.orderId as string;
  assert.equal([(await admin('POST', `/v1/admin/orders/${id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999' })).body.error.code], ['invalid_transition'], 'an unpaid order does not ship');
  assert.is((await pay(u, id)).status, 200);
  assert.equal([(await admin('POST', `/v1/admin/orders/${id}/deliver`)).status], [409], 'not shipped yet');
  assert.is((await call(s.url, 'POST', `/v1/orders/${id}/return`, { token: u.token })).body.error.code, 'invalid_transition');
  assert.is((await call(s.url, 'POST', `/v1/admin/orders/${id}/ship`, { token: u.token, body: { carrier: 'UPS', trackingNumber: '1Z999' } })).status, 403);
  const shipKeyed = () => call(s.url, 'POST', `/v1/admin/orders/${id}/ship`, { token: adminToken, headers: { 'Idempotency-Key': `ship-${id}` }, body: { carrier: 'UPS', trackingNumber: '1Z999' } });
  const shipped = await shipKeyed();
  assert.equal([shipped.status, shipped.body.status, shipped.body.carrier, shipped.body.trackingNumber], [200, 'shipped', 'UPS', '1Z999']);
  const shippedAgain = await admin('POST', `/v1/admin/orders/${id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999' });
  assert.equal([shippedAgain.status, shippedAgain.body.error.code, shippedAgain.body.error.details.status], [409, 'invalid_transition', 'shipped']);
  assert.is((await admin('POST', `/v1/admin/orders/${id}/ship`, { carrier: 'DHL', trackingNumber: 'JD01' })).status, 409, 'another parcel for a shipped order');
  // A retry is made safe by its Idempotency-Key: the first answer again.
  const replayed = await shipKeyed();
  assert.equal([replayed.status, replayed.body.status, replayed.headers.get('idempotent-replayed')], [200, 'shipped', 'true']);
  const late = await call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: u.token });
  assert.equal([late.status, late.body.error.code], [409, 'order_shipped']);
  assert.is((await admin('POST', `/v1/admin/orders/${id}/deliver`)).body.status, 'delivered');
  assert.equal([(await admin('POST', `/v1/admin/orders/${id}/deliver`)).body.error.code], ['invalid_transition'], 'delivered twice');
  const ret = await call(s.url, 'POST', `/v1/orders/${id}/return`, { token: u.token });
  assert.equal([ret.status, ret.body.status], [200, 'return_requested']);
  const pointsBefore = (await me(u)).rewardPoints;
  const back = await admin('POST', `/v1/admin/orders/${id}/returned`);
  assert.equal([back.status, back.body.status], [200, 'refunded']);
  assert.equal(back.body.steps.map((t: { state: string }) => t.state),
    ['pending_payment', 'charging', 'paid', 'shipped', 'delivered', 'return_requested', 'refunding', 'refunded']);
  assert.equal(back.body.steps.map((t: { status: string }) => t.status),
    ['pending_payment', 'pending_payment', 'paid', 'shipped', 'delivered', 'return_requested', 'return_requested', 'refunded'], 'only the contract\'s statuses');
  assert.equal(back.body.timeline.map((t: { status: string }) => t.status),
    ['pending_payment', 'paid', 'shipped', 'delivered', 'return_requested', 'refunded'], 'one timeline entry per change of status');
  assert.ok(back.body.timeline.every((t: { at: string }) => !Number.isNaN(Date.parse(t.at))));
  assert.equal([(await stock('SKU-00042')).onHand, (await stock('SKU-00042')).available], [10, 10], 'restocked');
  assert.is((await me(u)).rewardPoints, pointsBefore - Math.floor(o.body.total / 100), 'the points it earned are taken back');
  // API.md: a transition from the wrong status is 409, a repeat included; nothing changes.
  const again = await admin('POST', `/v1/admin/orders/${id}/returned`);
  assert.equal([again.status, again.body.error.code, again.body.error.details.status], [409, 'invalid_transition', 'refunded']);
  assert.equal([(await stock('SKU-00042')).onHand, (await me(u)).rewardPoints], [10, pointsBefore - Math.floor(o.body.total / 100)]);
  assert.is((await admin('POST', '/v1/admin/orders/o0000000000000/deliver')).status, 404);

  const evs = await eventually(async () => {
    const e = await events(id);
    return e.length === 5 ? e : undefined;
  }, 5000, 100);
  assert.equal(evs.map((e) => e.data.type), ['OrderPlaced', 'OrderShipped', 'OrderDelivered', 'OrderReturnRequested', 'OrderRefunded']);
  assert.equal(evs.map((e) => e.subject.split('.').slice(-2)[0]), ['placed', 'shipped', 'delivered', 'return_requested', 'refunded']);
  const refunded = evs[4]!.data;
  assert.equal([refunded.total, refunded.country, refunded.lines[0]!.sku, refunded.lines[0]!.category], [o.body.total, 'US', 'SKU-00042', 'home']);
});

test('a refund before shipping: money, units, points and coupon back, shown on /v1/me at once; ten retries refund once', async () => {
  await setStock('SKU-00043', 10);
  const u = await signupBuyer(s.url);
  const o = await checkout(u, { items: [{ sku: 'SKU-00043', qty: 3 }], couponCode: 'WELCOME10', usePoints: 50 });
  assert.is(o.status, 201, JSON.stringify(o.body));
  const id = o.body.orderId as string;
  assert.is((await me(u)).rewardPoints, 50);
  assert.is((await pay(u, id)).status, 200);
  const earned = Math.floor(o.body.total / 100);
  // Read right after paying: the page shows the points the order earned, not a cached copy.
  assert.is((await me(u)).rewardPoints, 50 + earned);
  assert.not.ok((await me(u)).coupons.some((c: { code: string }) => c.code === 'WELCOME10'));
  const answers = await Promise.all(Array.from({ length: 10 }, () => call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: u.token })));
  for (const a of answers) assert.equal([a.status, a.body.status], [200, 'refunded'], JSON.stringify(a.body));
  const page = await me(u);
  assert.is(page.rewardPoints, 100, 'points used given back and points earned taken back, once');
  assert.ok(page.coupons.some((c: { code: string }) => c.code === 'WELCOME10'), 'the coupon is back');
  const st = await stock('SKU-00043');
  assert.equal([st.onHand, st.reserved, st.available], [10, 0, 10]);
  const [charge] = await s.sql<{ refunded_at: number | null }>('SELECT refunded_at FROM sim_charges WHERE order_id = ?', [id]);
  assert.ok(charge!.refunded_at, 'the charge was refunded');
  const view = await order(u, id);
  assert.equal(view.steps.map((t: { state: string }) => t.state), ['pending_payment', 'charging', 'paid', 'refunding', 'refunded']);
  assert.equal(view.steps.map((t: { status: string }) => t.status), ['pending_payment', 'pending_payment', 'paid', 'paid', 'refunded']);
  assert.equal(view.timeline.map((t: { status: string }) => t.status), ['pending_payment', 'paid', 'refunded']);
  await eventually(async () => (await events(id)).length === 2, 5000, 100);
  assert.equal((await events(id)).map((e) => e.data.type), ['OrderPlaced', 'OrderRefunded']);
  const again = await call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: u.token });
  assert.equal([again.status, again.body.status], [200, 'refunded']);
  assert.is((await me(u)).rewardPoints, 100);
  // Someone else's order does not exist for this user; an unpaid one cannot be refunded.
  const other = await signupBuyer(s.url);
  assert.is((await call(s.url, 'POST', `/v1/orders/${id}/refund`, { token: other.token })).status, 404);
  const unpaid = await checkout(other, { items: [{ sku: 'SKU-00043', qty: 1 }] });
  const refused = await call(s.url, 'POST', `/v1/orders/${unpaid.body.orderId}/refund`, { token: other.token });
  assert.equal([refused.status, refused.body.error.code], [409, 'invalid_transition']);
});

test('points earned and already spent: refunding both orders ends where the user began, not with points made from nothing', async () => {
  await setStock('SKU-00047', 20);
  const u = await signupBuyer(s.url);
  const big = await checkout(u, { items: [{ sku: 'SKU-00047', qty: 10 }] });
  assert.is((await pay(u, big.body.orderId)).status, 200);
  const earned = Math.floor(big.body.total / 100);
  const balance = (await me(u)).rewardPoints as number;
  assert.is(balance, 100 + earned);
  // Every point, the earned ones among them, spent on a second order.
  const spend = await checkout(u, { items: [{ sku: 'SKU-00047', qty: 1 }], usePoints: balance });
  assert.equal([spend.status, spend.body.pointsUsed], [201, balance], JSON.stringify(spend.body));
  assert.is((await pay(u, spend.body.orderId)).status, 200);
  const afterSecond = (await me(u)).rewardPoints as number;
  assert.ok(afterSecond < earned, 'the earned points are no longer all there to take back');
  assert.is((await call(s.url, 'POST', `/v1/orders/${big.body.orderId}/refund`, { token: u.token })).status, 200);
  assert.is((await me(u)).rewardPoints, afterSecond - earned, 'all the points the refunded order earned are taken back, below zero if need be');
  const refused = await checkout(u, { items: [{ sku: 'SKU-00047', qty: 1 }], usePoints: 1 });
  assert.equal([refused.status, refused.body.error?.code], [422, 'insufficient_points']);
  assert.is((await call(s.url, 'POST', `/v1/orders/${spend.body.orderId}/refund`, { token: u.token })).status, 200);
  assert.is((await me(u)).rewardPoints, 100);
});

test('a cancelled order is an event on ORDERS too', async () => {
  await setStock('SKU-00044', 5);
  const u = await signupBuyer(s.url);
  const o = await checkout(u, { items: [{ sku: 'SKU-00044', qty: 1 }] });
  assert.is((await call(s.url, 'POST', `/v1/orders/${o.body.orderId}/cancel`, { token: u.token })).status, 200);
  await eventually(async () => (await events(o.body.orderId)).length === 1, 5000, 100);
  const [cancelled] = await events(o.body.orderId);
  assert.equal([cancelled!.data.type, cancelled!.subject.split('.').slice(-2)[0]], ['OrderCancelled', 'cancelled']);
});

test('a hold that ran out before the payment: a charge known up front charges nothing and the order expires; a charge already made is unwound', async () => {
  await setStock('SKU-00046', 5);
  const u = await signupBuyer(s.url);
  const release = async (id: string) => {
    const nc = await natsConnection();
    try {
      await new InventoryApi(new ClusterClient(nc, { cluster: s.env.cluster, shards: 16, deadlineMs: 10_000, inFlightLimit: 100 })).release('SKU-00046', `${id}:SKU-00046`);
    } finally {
      await nc.close();
    }
  };
  const charges = async (id: string) => s.sql<{ refunded_at: number | null }>('SELECT refunded_at FROM sim_charges WHERE order_id = ?', [id]);

  // tok_ok: the simulator's answer is known before the charge, so the stock is committed
  // first; the hold is gone underneath the order (as when it expires), so nothing is charged.
  const first = await checkout(u, { items: [{ sku: 'SKU-00046', qty: 2 }], couponCode: 'WELCOME10', usePoints: 20 });
  assert.is(first.status, 201, JSON.stringify(first.body));
  const firstId = first.body.orderId as string;
  await release(firstId);
  const refused = await pay(u, firstId);
  assert.equal([refused.status, refused.body.error?.code], [409, 'order_expired'], JSON.stringify(refused.body));
  assert.is((await order(u, firstId)).status, 'expired');
  assert.equal(await charges(firstId), []);
  assert.equal(await stock('SKU-00046'), { ...(await stock('SKU-00046')), onHand: 5, reserved: 0, available: 5 });
  let page = await me(u);
  assert.is(page.rewardPoints, 100);
  assert.ok(page.coupons.some((c: { code: string }) => c.code === 'WELCOME10'));

  // tok_timeout: the charge is recorded and its answer does not come, so the order waits in
  // `charging`; when the answer is found (a retry, or the sweeper's resume) the commit after
  // it is refused, and the sale is unwound: money, units, points and coupon back, ending failed.
  const second = await checkout(u, { items: [{ sku: 'SKU-00046', qty: 2 }], couponCode: 'WELCOME10', usePoints: 20 });
  assert.is(second.status, 201, JSON.stringify(second.body));
  const id = second.body.orderId as string;
  await release(id);
  const paying = await call(s.url, 'POST', `/v1/orders/${id}/pay`, { token: u.token, body: { paymentMethod: { type: 'card', token: 'tok_timeout' } } });
  assert.ok([409, 503].includes(paying.status), JSON.stringify(paying.body));
  await eventually(async () => (await order(u, id)).state === 'failed', 20_000, 250);
  const view = await order(u, id);
  assert.equal(view.steps.map((t: { state: string }) => t.state).slice(-3), ['charging', 'refunding', 'failed']);
  assert.equal([view.status, view.steps.map((t: { status: string }) => t.status).slice(-3)], ['expired', ['pending_payment', 'pending_payment', 'expired']], 'never paid: expired, to the contract');
  assert.equal(view.timeline.map((t: { status: string }) => t.status), ['pending_payment', 'expired']);
  const st = await stock('SKU-00046');
  assert.equal([st.onHand, st.reserved, st.available], [5, 0, 5]);
  const [charge] = await charges(id);
  assert.ok(charge!.refunded_at, 'the charge was refunded');
  page = await me(u);
  assert.is(page.rewardPoints, 100);
  assert.ok(page.coupons.some((c: { code: string }) => c.code === 'WELCOME10'));
});

test.run();
