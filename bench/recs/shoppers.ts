// Synthetic shoppers for bench:recs (pure, seeded): a catalog of categories with skewed
// popularity, shoppers with hidden category preferences, sessions of views drawn from
// them, purchases of viewed items (often with a complementary item from a neighbouring
// category), split per shopper in time order into training (first 80%) and test (last 20%).
import { rng } from '../../app/catalog-demo.ts';

export interface SimProduct { sku: string; category: string; price: number }
export interface SimEvent { userId: string; kind: 'view' | 'order'; skus: string[]; at: number; orderId?: string }
export interface SimShopper { userId: string; train: SimEvent[]; test: SimEvent[] }

/** An index in [0, n) with probability ∝ 1/(i+1)^s. */
function zipf(r: () => number, n: number, s = 1): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += 1 / (i + 1) ** s;
  let x = r() * total;
  for (let i = 0; i < n; i++) {
    x -= 1 / (i + 1) ** s;
    if (x <= 0) return i;
  }
  return n - 1;
}

export interface SimOptions { shoppers: number; products: number; categories: number; seed: number; start: number }

export function simulate(o: SimOptions): { products: SimProduct[]; shoppers: SimShopper[] } {
  const r = rng(o.seed);
  const perCat = Math.max(5, Math.floor(o.products / o.categories));
  const cats = Array.from({ length: o.categories }, (_, c) => `dept-${c % 5}/cat-${c}`);
  const products: SimProduct[] = [];
  const byCat: SimProduct[][] = cats.map((category, c) => Array.from({ length: perCat }, (_, i) => {
    const p = { sku: `BR-${c}-${i}`, category, price: 500 + Math.floor(r() * 10_000) };
    products.push(p);
    return p;
  }));
  const complement = (p: SimProduct): SimProduct => {
    const [c, i] = p.sku.slice(3).split('-').map(Number) as [number, number];
    return byCat[(c + 1) % cats.length]![i % perCat]!;
  };
  const shoppers: SimShopper[] = [];
  for (let s = 0; s < o.shoppers; s++) {
    const userId = `bu${s}`;
    const likes = [Math.floor(r() * cats.length), Math.floor(r() * cats.length), Math.floor(r() * cats.length)];
    const events: SimEvent[] = [];
    let at = o.start + Math.floor(r() * 3 * 86_400_000);
    const sessions = 8 + Math.floor(r() * 7);
    for (let k = 0; k < sessions; k++) {
      const roll = r();
      const c = roll < 0.55 ? likes[0]! : roll < 0.85 ? likes[1]! : roll < 0.93 ? likes[2]! : Math.floor(r() * cats.length);
      const seen: SimProduct[] = [];
      const views = 3 + Math.floor(r() * 4);
      for (let v = 0; v < views; v++) {
        const p = byCat[c]![zipf(r, perCat, 0.8)]!;
        seen.push(p);
        events.push({ userId, kind: 'view', skus: [p.sku], at });
        at += 30_000 + Math.floor(r() * 60_000);
      }
      if (r() < 0.35) {
        const p = seen[Math.floor(r() * seen.length)]!;
        const lines = r() < 0.6 ? [p.sku, complement(p).sku] : [p.sku];
        events.push({ userId, kind: 'order', skus: lines, at, orderId: `bo${s}-${k}` });
      }
      at += 2 * 3600_000 + Math.floor(r() * 36 * 3600_000);
    }
    const cut = Math.floor(events.length * 0.8);
    shoppers.push({ userId, train: events.slice(0, cut), test: events.slice(cut) });
  }
  return { products, shoppers };
}

/** Hit-rate@k and NDCG@k (binary relevance) of one ranked list. */
export function score(ranked: string[], relevant: Set<string>, k = 10): { hit: number; ndcg: number } {
  let dcg = 0;
  let hit = 0;
  ranked.slice(0, k).forEach((sku, i) => {
    if (relevant.has(sku)) {
      hit = 1;
      dcg += 1 / Math.log2(i + 2);
    }
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return { hit, ndcg: ideal > 0 ? dcg / ideal : 0 };
}
