// The stored outputs of the model and the pure rules that read them: related items
// (bought together first, then viewed together) and "not interested" filtering.

/** Related items of one SKU: [sku, similarity] best first, per kind. */
export interface RelatedList {
  buy: Array<[string, number]>;
  view: Array<[string, number]>;
}

/** A user's recommendations: [sku, category, score] best first. */
export type UserRecs = Array<[string, string, number]>;

export interface Hidden { categories: string[]; skus: string[] }

/** True when `category` is one of `hidden` or below one (a category hides its subtree). */
export function inHiddenCategory(category: string, hidden: readonly string[]): boolean {
  return hidden.some((h) => category === h || category.startsWith(`${h}/`));
}

/** Hidden members as stored ("c:<category>", "s:<sku>") → lists. */
export function parseHidden(members: readonly string[]): Hidden {
  const out: Hidden = { categories: [], skus: [] };
  for (const m of members) {
    if (m.startsWith('c:')) out.categories.push(m.slice(2));
    else if (m.startsWith('s:')) out.skus.push(m.slice(2));
  }
  out.categories.sort();
  out.skus.sort();
  return out;
}

/** The related SKUs in API order: bought together, then viewed together, without repeats. */
export function relatedOrder(list: RelatedList | undefined, exclude: string): string[] {
  if (!list) return [];
  const seen = new Set<string>([exclude]);
  const out: string[] = [];
  for (const [sku] of [...list.buy, ...list.view]) {
    if (seen.has(sku)) continue;
    seen.add(sku);
    out.push(sku);
  }
  return out;
}
