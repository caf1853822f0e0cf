// What a build reads from the catalog: product documents, committed stock (MariaDB), the
// category tree and category listings (the nodes' search service, which drops out-of-stock
// SKUs). Builds run in the background on an actor node; the request path never gets here.
import type { NatsConnection } from 'nats';
import type { DocumentStore } from '../../stores/documents/index.ts';
import type { Pool } from '../../stores/mysql/index.ts';
import { callService, newestProducts, productsCollection, serviceSubject, type CatalogProduct, type CategoryNode } from '../catalog/index.ts';
import { stockStatus, type StockStatus } from '../inventory/index.ts';
import type { PageProduct } from './page.ts';

export interface ProductInfo { sku: string; title: string; price: number; currency: string; category: string }

export class CatalogSource {
  constructor(private readonly deps: { nc: NatsConnection; cluster: string; documents: DocumentStore; pool: Pool }) {}

  /** Product documents of the SKUs that exist (removed ones are left out). */
  async products(skus: string[]): Promise<Map<string, ProductInfo>> {
    const docs = await this.deps.documents.getMany<CatalogProduct & Record<string, unknown>>(productsCollection, [...new Set(skus)]);
    const out = new Map<string, ProductInfo>();
    for (const [sku, d] of docs) out.set(sku, { sku, title: d.title, price: d.price, currency: d.currency, category: d.category });
    return out;
  }

  /** Stock status from the committed totals; a SKU never stocked is out of stock. */
  async stock(skus: string[]): Promise<Map<string, StockStatus>> {
    const out = new Map<string, StockStatus>();
    if (skus.length === 0) return out;
    const [rows] = await this.deps.pool.query('SELECT sku, on_hand - reserved AS available FROM inventory WHERE sku IN (?)', [[...new Set(skus)]]);
    const available = new Map((rows as { sku: string; available: number }[]).map((r) => [r.sku, Number(r.available)]));
    for (const s of skus) out.set(s, stockStatus(available.get(s) ?? 0));
    return out;
  }

  /** Page products for SKUs in the given order, existing ones only, with live stock. */
  async pageProducts(skus: string[]): Promise<PageProduct[]> {
    const [info, stock] = await Promise.all([this.products(skus), this.stock(skus)]);
    return skus.flatMap((sku) => {
      const p = info.get(sku);
      return p ? [{ sku, title: p.title, price: p.price, currency: p.currency, stock: stock.get(sku) ?? 'out_of_stock' }] : [];
    });
  }

  /** Every category path the catalog has (each node of the tree), largest first. */
  async categories(): Promise<{ path: string; count: number; depth: number }[]> {
    const tree = await callService<CategoryNode[]>(this.deps.nc, serviceSubject(this.deps.cluster, 'catalog', 'categories'), {}, 5000);
    const out: { path: string; count: number; depth: number }[] = [];
    const walk = (nodes: CategoryNode[], depth: number) => {
      for (const n of nodes) {
        out.push({ path: n.path, count: n.count, depth });
        walk(n.children, depth + 1);
      }
    };
    walk(tree, 0);
    return out.sort((a, b) => b.count - a.count);
  }

  /** The newest in-stock products of a category (and below it). */
  async browse(category: string, limit: number): Promise<string[]> {
    return (await newestProducts(this.deps.nc, this.deps.cluster, { category, limit })).map(([sku]) => sku);
  }
}
