// One build: a region document plus live data (stock, sales, trending) becomes the region's
// blocks, then one JSON page per platform in Redis; the country → region map goes with it.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CatalogSource } from './catalog-source.ts';
import { defaultRegion, platforms, type Platform, type RegionDocument } from './document.ts';
import type { HomepageKeys } from './keys.ts';
import { assemblePage, titleOfCategory, type Block, type RegionBlocks } from './page.ts';
import type { ShopperSignals } from './signals.ts';

export interface BuildDeps {
  redis: Redis;
  keys: HomepageKeys;
  catalog: CatalogSource;
  signals: ShopperSignals;
  log: Logger;
}

const trendingSize = 12;

/** The countries a region's sales are counted over; `default` counts everywhere (an empty list). */
const salesCountries = (doc: RegionDocument) => (doc.region === defaultRegion ? [] : doc.countries);

/**
 * Best sellers: the region's top categories by units sold with their top SKUs, each block
 * topped up to `perCategory` with the category's newest in-stock products, and the blocks
 * topped up to `categories` with the web menu's categories and then the catalog's largest
 * top-level ones (all of them until there are sales). API.md: `categories` categories,
 * `perCategory` products each, from the catalog until there are sales; a category with
 * one sale had shown one product.
 */
async function bestSellers(deps: BuildDeps, doc: RegionDocument): Promise<Block[]> {
  const { categories: n, perCategory } = doc.bestSellers;
  const countries = salesCountries(doc);
  const top = await deps.signals.topCategories(countries, n);
  const sold = await Promise.all(top.slice(0, n).map(async (t) => ({
    category: t.category,
    skus: (await deps.signals.topSkusInCategory(t.category, countries, perCategory)).map((s) => s.sku),
  })));
  const chosen = sold.map((p) => p.category);
  if (chosen.length < n) {
    for (const m of doc.platforms.web.menu) if (!chosen.includes(m.category)) chosen.push(m.category);
    if (chosen.length < n) {
      for (const c of await deps.catalog.categories()) if (c.depth === 0 && !chosen.includes(c.path)) chosen.push(c.path);
    }
  }
  // Each category's candidates: its sold SKUs, then enough of its newest to fill the block
  // even when earlier blocks took some (a parent category and its child share products).
  const candidates = await Promise.all(chosen.slice(0, n).map(async (category) => {
    const skus = [...(sold.find((p) => p.category === category)?.skus ?? [])];
    for (const sku of await deps.catalog.browse(category, perCategory * 3)) if (!skus.includes(sku)) skus.push(sku);
    return { category, skus };
  }));
  // No SKU in two blocks: an audit saw one product in "Audio" and again in "Electronics".
  const shown = new Set<string>();
  const picks = candidates.map(({ category, skus }) => {
    const mine: string[] = [];
    for (const sku of skus) {
      if (mine.length >= perCategory) break;
      if (shown.has(sku)) continue;
      shown.add(sku);
      mine.push(sku);
    }
    return { category, skus: mine };
  });
  const blocks = await Promise.all(picks.map(async (p): Promise<Block> => ({
    kind: 'best_sellers', title: `Best sellers in ${titleOfCategory(p.category)}`, category: p.category,
    products: await deps.catalog.pageProducts(p.skus.slice(0, perCategory)),
  })));
  return blocks.filter((b) => b.products.length > 0);
}

export async function buildRegionBlocks(deps: BuildDeps, doc: RegionDocument): Promise<RegionBlocks> {
  const [flashSale, best, trending] = await Promise.all([
    doc.flashSale ? deps.catalog.pageProducts(doc.flashSale.skus).then((products): Block => ({ kind: 'flash_sale', title: doc.flashSale!.title, products })) : undefined,
    bestSellers(deps, doc),
    deps.signals.trending(trendingSize).then(async (t): Promise<Block> => ({
      kind: 'trending', title: 'Trending now', products: await deps.catalog.pageProducts(t.map((x) => x.sku)),
    })),
  ]);
  return { ...(flashSale ? { flashSale } : {}), bestSellers: best, trending };
}

/** Builds and stores the pages of one region for the given platforms; returns the keys written. */
export async function buildRegion(deps: BuildDeps, doc: RegionDocument, only: readonly Platform[] = platforms): Promise<string[]> {
  const blocks = await buildRegionBlocks(deps, doc);
  const p = deps.redis.pipeline();
  const written: string[] = [];
  for (const platform of only) {
    p.set(deps.keys.page(doc.region, platform), JSON.stringify(assemblePage(doc, platform, blocks)));
    written.push(`${doc.region}:${platform}`);
  }
  await p.exec();
  return written;
}

/** Writes the country → region map every gateway resolves addresses with. */
export async function writeRouting(deps: Pick<BuildDeps, 'redis' | 'keys'>, docs: RegionDocument[]): Promise<void> {
  const countries: Record<string, string> = {};
  for (const d of docs) if (d.region !== defaultRegion) for (const c of d.countries) countries[c] = d.region;
  await deps.redis.set(deps.keys.routing, JSON.stringify({ countries, regions: docs.map((d) => d.region).sort() }));
}
