// DEMO_DATA=1 loads the demo catalog once per cluster. A product an operator posted first
// must not make it look loaded: the demo SKUs then had rows (cart and checkout took them)
// and no catalog page (404).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, freshEnv, startApp, type TestEnv } from './support/harness.ts';
import { call } from './support/gateway.ts';

let env: TestEnv;
test.before(async () => {
  env = await freshEnv('democatalog');
});
test.after(async () => {
  await env.cleanup();
});

test('a product posted before the first demo seed does not keep the demo catalog out', async () => {
  const first = await startApp(env.env, 'all', { PORT: '0', ADMIN_TOKEN: 'admin', NODE_ID: 'first' });
  try {
    const posted = await call(first.url!, 'POST', '/v1/admin/products', {
      token: 'admin', body: { sku: 'OPS-1', title: 'Posted by hand', brand: 'Acme', category: 'tools', price: 100, currency: 'USD', attributes: {}, supplierId: 'sup-1' },
    });
    assert.ok(posted.status === 201 || posted.status === 202, JSON.stringify(posted.body));
    await eventually(async () => (await call(first.url!, 'GET', '/v1/products/OPS-1')).status === 200, 10_000, 100);
  } finally {
    await first.kill('SIGTERM');
  }
  const seeded = await startApp(env.env, 'all', { PORT: '0', ADMIN_TOKEN: 'admin', NODE_ID: 'seeded', DEMO_DATA: '1', DEMO_PRODUCTS: '30' });
  try {
    const page = await eventually(async () => {
      const r = await call(seeded.url!, 'GET', '/v1/products/SKU-00030');
      return r.status === 200 ? r : undefined;
    }, 15_000, 200);
    assert.is(page.body.sku, 'SKU-00030');
    assert.is((await call(seeded.url!, 'GET', '/v1/products/OPS-1')).status, 200, 'the posted product stays');
  } finally {
    await seeded.kill('SIGTERM');
  }
});

test.run();
