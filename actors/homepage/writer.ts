// Region documents in the document store, and the one writer's checks against the catalog
// and the other regions. Only the builder singleton calls put(), one write at a time, so
// "no country in two regions" and "version goes up by one" hold without store locks.
import type { DocumentStore } from '../../stores/documents/index.ts';
import type { CatalogSource } from './catalog-source.ts';
import { builtInDefault, categoriesOf, defaultRegion, skusOf, type FieldProblem, type RegionDocument, type RegionDocumentInput } from './document.ts';

export const regionsCollection = 'homepage_regions';

export type PutResult = { ok: { region: string; version: number } } | { problems: FieldProblem[] };

export class RegionStore {
  constructor(private readonly documents: DocumentStore) {}

  /** A stored document; `default` always exists (built in until an admin writes it). */
  async get(region: string): Promise<RegionDocument | undefined> {
    const doc = await this.documents.get<RegionDocument & Record<string, unknown>>(regionsCollection, region);
    return doc ?? (region === defaultRegion ? builtInDefault() : undefined);
  }

  /** Every region, `default` included. */
  async all(): Promise<RegionDocument[]> {
    const out: RegionDocument[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.documents.scan<RegionDocument & Record<string, unknown>>(regionsCollection, { ...(after ? { after } : {}), limit: 500 });
      if (page.length === 0) break;
      out.push(...page.map((p) => p.doc));
      after = page[page.length - 1]!.id;
    }
    if (!out.some((d) => d.region === defaultRegion)) out.push(builtInDefault());
    return out;
  }

  put(doc: RegionDocument): Promise<void> {
    return this.documents.put(regionsCollection, doc.region, { ...doc });
  }
}

/** Checks a (well-formed) document against the other regions and the catalog, then stores it with the next version. */
export async function putRegion(deps: { regions: RegionStore; catalog: CatalogSource }, region: string, input: RegionDocumentInput): Promise<PutResult> {
  const all = await deps.regions.all();
  const problems: FieldProblem[] = [];
  const owner = new Map<string, string>();
  for (const d of all) if (d.region !== region) for (const c of d.countries) owner.set(c, d.region);
  input.countries.forEach((c, i) => {
    const other = owner.get(c);
    if (other) problems.push({ field: `countries[${i}]`, problem: `${c} already belongs to region "${other}"; remove it there first` });
  });
  const previous = all.find((d) => d.region === region);
  problems.push(...await catalogProblems(deps.catalog, input, previous));
  if (problems.length > 0) return { problems };
  const doc: RegionDocument = { ...input, region, version: (previous?.version ?? 0) + 1, updatedAt: Date.now() };
  await deps.regions.put(doc);
  return { ok: { region, version: doc.version } };
}

/**
 * The categories and SKUs of a document the catalog does not have. One the stored version
 * (`stored`) already named has left the catalog since: said so, for an operator whose
 * unchanged document came back 422 (a product taken off sale, a category's last product
 * gone). GET shows the same list beside the stored document.
 */
export async function catalogProblems(catalog: CatalogSource, input: RegionDocumentInput, stored?: RegionDocument): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const before = stored ? { categories: new Set(categoriesOf(stored).map((c) => c.category)), skus: new Set(skusOf(stored).map((s) => s.sku)) } : undefined;
  const since = stored ? ` (it was in version ${stored.version}); remove it` : '';
  const named = categoriesOf(input);
  if (named.length > 0) {
    const known = new Set((await catalog.categories()).map((c) => c.path));
    for (const { field, category } of named) {
      if (known.has(category)) continue;
      problems.push({ field, problem: before?.categories.has(category) ? `category "${category}" has no products any more${since}` : `unknown category "${category}"` });
    }
  }
  const skus = skusOf(input);
  if (skus.length > 0) {
    const found = await catalog.products(skus.map((s) => s.sku));
    for (const { field, sku } of skus) {
      if (found.has(sku)) continue;
      problems.push({ field, problem: before?.skus.has(sku) ? `SKU "${sku}" is no longer in the catalog${since}` : `unknown SKU "${sku}"` });
    }
  }
  return problems;
}
