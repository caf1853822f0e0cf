// Prefix completion over product titles and categories for the embedded index: sorted
// arrays searched by binary search, so a completion costs a few comparisons plus the
// matches it reads, whatever the catalog's size.
import { normalizeText, type IndexedProduct, type Suggestion } from './port.ts';

/** First index in sorted `keys` whose key is >= `prefix`. */
export function lowerBound(keys: readonly string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many word matches one completion reads at most before giving up on more. */
const maxWordScan = 2000;
/** Categories among the completions at most, so products are not crowded out. */
const maxCategories = 2;

export class TitleSuggester {
  private readonly titleKeys: string[] = [];
  private readonly titleText: string[] = [];
  /** The SKUs with each title (a title is suggested while one of them can be bought). */
  private readonly titleSkus: string[][] = [];
  private readonly wordKeys: string[] = [];
  private readonly wordTitle: number[] = [];
  private readonly categoryKeys: string[] = [];
  private readonly categoryPath: string[] = [];

  constructor(products: Iterable<IndexedProduct>) {
    const titles = new Map<string, string>();
    const skus = new Map<string, string[]>();
    const categories = new Map<string, Set<string>>();
    for (const p of products) {
      const key = normalizeText(p.title);
      titles.set(key, p.title);
      const withTitle = skus.get(key);
      if (withTitle) withTitle.push(p.sku);
      else skus.set(key, [p.sku]);
      // "electronics/audio/headphones" completes from any of its words ("audio", "head…").
      const segments = p.category.split('/');
      segments.forEach((segment, i) => {
        const key = segment.replace(/[-_]/g, ' ');
        const paths = categories.get(key) ?? new Set<string>();
        paths.add(segments.slice(0, i + 1).join('/'));
        categories.set(key, paths);
      });
    }
    const sortedTitles = [...titles.keys()].sort();
    const words: [string, number][] = [];
    sortedTitles.forEach((key, i) => {
      this.titleKeys.push(key);
      this.titleText.push(titles.get(key)!);
      this.titleSkus.push(skus.get(key)!);
      for (const w of new Set(key.split(' '))) if (w.length > 0) words.push([w, i]);
    });
    words.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (const [w, i] of words) {
      this.wordKeys.push(w);
      this.wordTitle.push(i);
    }
    const cats: [string, string][] = [];
    for (const [key, paths] of categories) for (const path of paths) cats.push([key, path]);
    cats.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1].length - b[1].length));
    for (const [key, path] of cats) {
      this.categoryKeys.push(key);
      this.categoryPath.push(path);
    }
  }

  /**
   * Categories, then titles that start with `prefix`, then titles with a word that does;
   * with `accepts`, only titles of which a SKU passes it (in stock, deliverable): a
   * suggestion that a search then cannot find is a dead end.
   */
  complete(prefix: string, limit: number, accepts?: (sku: string) => boolean): Suggestion[] {
    const out: Suggestion[] = [];
    if (prefix.length === 0 || limit <= 0) return out;
    const seen = new Set<string>();
    const push = (text: string, kind: Suggestion['kind']) => {
      if (out.length < limit && !seen.has(`${kind}:${text}`)) {
        seen.add(`${kind}:${text}`);
        out.push({ text, kind });
      }
    };
    for (let i = lowerBound(this.categoryKeys, prefix); i < this.categoryKeys.length && this.categoryKeys[i]!.startsWith(prefix); i++) {
      if (out.length >= Math.min(maxCategories, limit)) break;
      push(this.categoryPath[i]!, 'category');
    }
    const buyable = (t: number) => !accepts || this.titleSkus[t]!.some(accepts);
    for (let i = lowerBound(this.titleKeys, prefix); i < this.titleKeys.length && this.titleKeys[i]!.startsWith(prefix) && out.length < limit; i++) {
      if (buyable(i)) push(this.titleText[i]!, 'product');
    }
    // "wireless he": a title with the word "wireless" and a word starting with "he".
    const tokens = prefix.split(' ');
    const last = tokens[tokens.length - 1]!;
    const rest = tokens.slice(0, -1);
    const start = lowerBound(this.wordKeys, last);
    for (let i = start; i < this.wordKeys.length && i - start < maxWordScan && out.length < limit && this.wordKeys[i]!.startsWith(last); i++) {
      const t = this.wordTitle[i]!;
      const key = this.titleKeys[t]!;
      if (rest.every((w) => key.includes(w)) && buyable(t)) push(this.titleText[t]!, 'product');
    }
    return out;
  }
}
