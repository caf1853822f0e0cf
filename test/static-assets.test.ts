// Versioned static assets: content-hashed names, immutable caching, 404 for stale names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashedName, immutableCacheControl, staticAssets } from '../gateway/static-assets.ts';

test('files are served under content-hashed names with immutable caching', async () => {
  const assets = staticAssets(new Map([['app.js', 'console.log(1)'], ['css/site.css', 'body{}']]));
  const url = assets.url('app.js');
  assert.match(url, /^\/assets\/app\.[0-9a-f]{10}\.js$/);
  assert.equal(Object.keys(assets.manifest()), ['app.js', 'css/site.css']);
  const app = assets.routes();
  const res = await app.request(url);
  assert.is(res.status, 200);
  assert.is(await res.text(), 'console.log(1)');
  assert.is(res.headers.get('cache-control'), immutableCacheControl);
  assert.is(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.is((await app.request(url, { headers: { 'if-none-match': res.headers.get('etag')! } })).status, 304);
  assert.is((await app.request(assets.url('css/site.css'))).headers.get('content-type'), 'text/css; charset=utf-8');
});

test('new content is a new name; the old name is gone; unknown names fail loudly', async () => {
  assert.is.not(hashedName('app.js', 'a'), hashedName('app.js', 'b'));
  const before = staticAssets(new Map([['app.js', 'v1']]));
  const after = staticAssets(new Map([['app.js', 'v2']]));
  assert.is.not(before.url('app.js'), after.url('app.js'));
  assert.is((await after.routes().request(before.url('app.js'))).status, 404);
  assert.throws(() => after.url('missing.js'), /no static asset named "missing.js"/);
});

test.run();
