// The served page: its shape (API.md "Homepage"), how a region document and the built
// blocks become one page per platform, and how a personal block joins a cached page
// without parsing it. Pure.
import type { StockStatus } from '../inventory/index.ts';
import type { Platform, RegionDocument } from './document.ts';

export interface PageProduct { sku: string; title: string; price: number; currency: string; stock: StockStatus }

export type BlockKind = 'banner' | 'flash_sale' | 'best_sellers' | 'trending' | 'for_you';

export interface Block {
  kind: BlockKind;
  title: string;
  products: PageProduct[];
  /** banner blocks: the picture and where it leads. */
  imageUrl?: string;
  href?: string;
  /** best_sellers blocks: the category they show. */
  category?: string;
}

export interface HomePage {
  region: string;
  platform: Platform;
  version: number;
  menu: { title: string; category: string }[];
  blocks: Block[];
}

/** The region's blocks that do not depend on the platform, built once per region. */
export interface RegionBlocks {
  flashSale?: Block;
  bestSellers: Block[];
  trending?: Block;
}

/** One platform's page: banners first, then flash sale, best sellers, trending (API.md's order). */
export function assemblePage(doc: RegionDocument, platform: Platform, built: RegionBlocks): HomePage {
  const section = doc.platforms[platform];
  const banners: Block[] = section.banners.map((b) => ({ kind: 'banner', title: b.title, imageUrl: b.imageUrl, href: b.href, products: [] }));
  const blocks: Block[] = [...banners];
  if (built.flashSale) blocks.push(built.flashSale);
  blocks.push(...built.bestSellers);
  if (built.trending && built.trending.products.length > 0) blocks.push(built.trending);
  // Key order matters: `blocks` last, so a personal block can be appended to the JSON text.
  return { region: doc.region, platform, version: doc.version, menu: section.menu.map((m) => ({ title: m.title, category: m.category })), blocks };
}

/** What a gateway serves when it has never seen a page for the key and Redis has none. */
export function builtInPage(region: string, platform: Platform): HomePage {
  return { region, platform, version: 0, menu: [], blocks: [] };
}

/** Appends a block (or its JSON text) to a serialized page (whose last key is `blocks`) without parsing it. */
export function appendBlock(pageJson: string, block: Block | string): string {
  const head = pageJson.slice(0, -2); // drops "]}"
  return `${head}${head.endsWith('[') ? '' : ','}${typeof block === 'string' ? block : JSON.stringify(block)}]}`;
}

/** The SKUs a page shows in its product blocks: the personal block's fallback candidates. */
export function productSkus(page: HomePage): string[] {
  const out = new Set<string>();
  for (const b of page.blocks) if (b.kind === 'best_sellers' || b.kind === 'trending') for (const p of b.products) out.add(p.sku);
  return [...out];
}

/** True when `category` is `hidden` or below it (hiding "electronics" hides "electronics/audio"). */
export function underCategory(category: string, hidden: string): boolean {
  return category === hidden || category.startsWith(`${hidden}/`);
}

export const titleOfCategory = (path: string) => {
  const leaf = path.split('/').pop() ?? path;
  return leaf.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
};
