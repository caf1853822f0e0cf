// The homepage's pure parts and the GeoIP database: document checks, page assembly, the
// personal block splice, ETag matching and country lookups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendBlock, assemblePage, builtInDefault, checkRegionDocument, isoCountries, underCategory, type RegionDocument } from '../actors/homepage/index.ts';
import { etagMatches } from '../gateway/representation.ts';
import { GeoIp } from '../stores/geoip/index.ts';

test('ISO 3166-1 alpha-2: the 249 assigned codes', () => {
  assert.is(isoCountries.size, 249);
  for (const c of ['GB', 'DE', 'US', 'JP', 'NL', 'ZW', 'AX']) assert.ok(isoCountries.has(c), c);
  for (const c of ['UK', 'EU', 'XK', 'gb', 'G']) assert.not.ok(isoCountries.has(c), c);
});

test('a document gets defaults for missing platforms; problems name their fields', () => {
  const ok = checkRegionDocument({ countries: ['GB'], bestSellers: { categories: 2, perCategory: 4 } });
  assert.ok('ok' in ok);
  if ('ok' in ok) assert.equal(ok.ok.platforms.ios, { menu: [], banners: [] });
  const bad = checkRegionDocument({ countries: ['GB', 'XX', 'GB'], bestSellers: { categories: 2, perCategory: 4 }, flashSale: { title: 'x', skus: ['A', 'A'] } });
  assert.ok('problems' in bad);
  if ('problems' in bad) assert.equal(bad.problems.map((p) => p.field), ['countries[1]', 'countries[2]', 'flashSale.skus[1]']);
  // A NUL or an escape sequence in a title is refused, not stored and served.
  const control = checkRegionDocument({
    countries: ['GB'], bestSellers: { categories: 2, perCategory: 4 }, flashSale: { title: 'Sale\u0000', skus: ['A'] },
    platforms: { web: { menu: [{ title: 'Au\u001b[31mdio', category: 'audio' }], banners: [{ title: 'Line\nbreak', imageUrl: '/b.png', href: '/b' }] } },
  });
  assert.ok('problems' in control);
  if ('problems' in control) assert.equal(control.problems.map((p) => p.field).sort(), ['flashSale.title', 'platforms.web.banners[0].title', 'platforms.web.menu[0].title']);
});

test('blocks come in API order: banners, flash sale, best sellers, trending (when it has products)', () => {
  const doc: RegionDocument = {
    ...builtInDefault(), region: 'uk', version: 3,
    platforms: { web: { menu: [{ title: 'Audio', category: 'audio' }], banners: [{ title: 'B', imageUrl: '/b.png', href: '/b' }] }, android: { menu: [], banners: [] }, ios: { menu: [], banners: [] } },
  };
  const p = { sku: 'A', title: 'a', price: 1, currency: 'USD', stock: 'in_stock' as const };
  const blocks = {
    flashSale: { kind: 'flash_sale' as const, title: 'F', products: [p] },
    bestSellers: [{ kind: 'best_sellers' as const, title: 'BS', products: [p] }],
    trending: { kind: 'trending' as const, title: 'T', products: [] },
  };
  const web = assemblePage(doc, 'web', blocks);
  assert.equal(web.blocks.map((b) => b.kind), ['banner', 'flash_sale', 'best_sellers']);
  assert.equal(Object.keys(web), ['region', 'platform', 'version', 'menu', 'blocks']);
  assert.equal(assemblePage(doc, 'ios', { ...blocks, trending: { ...blocks.trending, products: [p] } }).blocks.map((b) => b.kind), ['flash_sale', 'best_sellers', 'trending']);
});

test('the personal block is appended to the page text, also to a page without blocks', () => {
  const block = { kind: 'for_you' as const, title: 'For you', products: [] };
  const empty = JSON.stringify({ region: 'x', platform: 'web', version: 0, menu: [], blocks: [] });
  assert.equal(JSON.parse(appendBlock(empty, block)).blocks, [block]);
  const full = JSON.stringify({ region: 'x', platform: 'web', version: 0, menu: [], blocks: [{ kind: 'trending', title: 't', products: [] }] });
  assert.equal(JSON.parse(appendBlock(full, block)).blocks.map((b: { kind: string }) => b.kind), ['trending', 'for_you']);
});

test('hiding a category hides everything below it, not its neighbours', () => {
  assert.ok(underCategory('electronics/audio', 'electronics'));
  assert.ok(underCategory('electronics', 'electronics'));
  assert.not.ok(underCategory('electronics-outlet', 'electronics'));
  assert.not.ok(underCategory('home', 'electronics'));
});

test('If-None-Match: exact, weak, lists and *', () => {
  assert.ok(etagMatches('"abc"', '"abc"'));
  assert.ok(etagMatches('W/"abc"', '"abc"'));
  assert.ok(etagMatches('"abc"', 'W/"abc"'), 'a weak ETag of ours matches its strong form');
  assert.ok(etagMatches('"x", "abc"', '"abc"'));
  assert.ok(etagMatches('*', '"abc"'));
  assert.not.ok(etagMatches('"abcd"', '"abc"'));
  assert.not.ok(etagMatches(undefined, '"abc"'));
});

test('GeoIP from the packaged database: countries for public addresses, nothing for private ones', () => {
  const geo = GeoIp.open();
  assert.is(geo.country('8.8.8.8'), 'US');
  assert.is(geo.country('81.2.69.160'), 'GB');
  assert.is(geo.country('5.9.0.1'), 'DE');
  assert.is(geo.country('133.242.0.1'), 'JP');
  assert.is(geo.country('::ffff:81.2.69.160'), 'GB', 'IPv4 on a dual-stack socket');
  assert.is(geo.country('2a00:1450:4001::1'), 'IE');
  for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '::1', 'unknown', 'not-an-ip']) assert.is(geo.country(ip), undefined, ip);
});

test.run();
