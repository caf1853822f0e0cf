// The homepage: the blocks of GET /v1/homepage (banners, flash sale, best sellers,
// trending, for you); where that route is not there, new arrivals and the categories.
import { optional, api } from '../api.ts';
import { loadFailedNotice } from '../chrome.ts';
import { byId, h, render } from '../dom.ts';
import { productGrid } from '../product-card.ts';
import type { CategoryNode, HomeBlock, Homepage, Product, SearchPage } from '../types.ts';

const blockTitles: Record<string, string> = {
  flash_sale: 'Flash sale', best_sellers: 'Best sellers', trending: 'Trending now', for_you: 'Picked for you',
};

/**
 * The links the admin document accepts (a site path or an http(s) URL, no backslash): a
 * document stored before the backslash was refused may still hold "/\host", which a
 * browser follows to another site, so the page checks again and drops such a link.
 */
const safeLink = /^(\/(?!\/)[^\s\\]*|https?:\/\/[^\s\\]+)$/;
const linkOrNothing = (url: string | undefined): string | undefined => (url && safeLink.test(url) ? url : undefined);

function banner(b: { title?: string; imageUrl?: string; href?: string }): HTMLElement {
  const imageUrl = linkOrNothing(b.imageUrl);
  const href = linkOrNothing(b.href);
  const inner = [imageUrl ? h('img', { src: imageUrl, alt: '', loading: 'lazy' }) : null, h('strong', null, b.title ?? '')];
  return h('div', { class: 'banner' }, href ? h('a', { href }, inner) : inner);
}

/**
 * One block; `index` names its heading: blocks of one kind come more than once (best
 * sellers in Tops, in Electronics …), and an id from the kind was the same for each, so
 * every one of them was announced by the first one's title.
 */
function block(b: HomeBlock, index: number): HTMLElement | null {
  const products = (b.products ?? []).map((p) => ({ ...p, stock: p.stock ? { status: p.stock } : undefined }) as Product);
  if (b.kind === 'banner') {
    const banners = b.banners ?? [{ title: b.title, imageUrl: b.imageUrl, href: b.href }];
    return h('section', { class: 'block banners', 'aria-label': b.title ?? 'Featured' }, banners.map(banner), products.length ? productGrid(products) : null);
  }
  if (products.length === 0) return null;
  return h('section', { class: `block ${b.kind}`, 'aria-labelledby': `block-${index}` },
    h('h2', { id: `block-${index}` }, b.title || blockTitles[b.kind] || b.kind),
    productGrid(products));
}

async function fallback(): Promise<HTMLElement[]> {
  const [latest, tree] = await Promise.all([
    api<SearchPage>('GET', '/v1/products?sort=newest&limit=12'),
    optional<{ items: CategoryNode[] }>('GET', '/v1/categories'),
  ]);
  return [
    h('section', { class: 'hero' }, h('h1', null, 'Everything, delivered fast'), h('p', null, 'Search thousands of products with live stock and delivery dates.')),
    tree && tree.items.length ? h('section', { class: 'block', 'aria-labelledby': 'cats-h' },
      h('h2', { id: 'cats-h' }, 'Shop by category'),
      h('ul', { class: 'chips' }, tree.items.map((c) => h('li', null, h('a', { href: `/search?category=${encodeURIComponent(c.path)}` }, c.name, h('span', { class: 'count' }, String(c.count))))))) : null,
    h('section', { class: 'block', 'aria-labelledby': 'new-h' }, h('h2', { id: 'new-h' }, 'New arrivals'), productGrid(latest.items)),
  ].filter((x): x is HTMLElement => x !== null);
}

export async function homePage(): Promise<void> {
  const root = byId('home');
  try {
    const home = await optional<Homepage>('GET', '/v1/homepage?platform=web');
    if (!home) {
      render(root, await fallback());
      return;
    }
    if (home.menu?.length) {
      render(byId('menu'), h('ul', null, home.menu.map((m) => h('li', null, h('a', { href: `/search?category=${encodeURIComponent(m.category)}` }, m.title)))));
    }
    const blocks = home.blocks.map((b, i) => block(b, i)).filter((b): b is HTMLElement => b !== null);
    // The blocks have only h2s: a heading to start from for those who find their way by
    // headings (the welcome page of the fallback has its own).
    render(root, blocks.length ? [h('h1', { class: 'sr-only' }, 'Shop'), ...blocks] : await fallback());
  } catch (err) {
    render(root, loadFailedNotice(err));
  }
}
