// The regional homepage document an admin writes (PUT /v1/admin/homepage/:region): its
// shape, its bounds and the checks that need nothing but the document. Checks against the
// catalog and the other regions are the writer's (writer.ts). Pure: no I/O.
import { z } from 'zod/v4';
import { isoCountries } from './countries.ts';
import { noControlCharacters } from '../../stores/unicode.ts';

export const platforms = ['web', 'android', 'ios'] as const;
export type Platform = (typeof platforms)[number];

export const isPlatform = (v: string): v is Platform => (platforms as readonly string[]).includes(v);

export const regionPattern = /^[a-z0-9-]{2,32}$/;
export const defaultRegion = 'default';

/** Bounds on a document, so a page stays small and a build stays quick. */
export const limits = { menu: 20, banners: 10, flashSaleSkus: 50, countries: isoCountries.size, bestSellers: 20, perCategory: 20 } as const;

const categoryPath = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*){0,5}$/, 'a category path such as "electronics/audio"').max(120);
const sku = z.string().regex(/^[A-Za-z0-9_\-:@+=]{1,128}$/, 'a SKU: letters, digits and _-:@+=, 1-128 characters');
// A link is a site path ("/sale") or an absolute http(s) URL; nothing a browser would run.
// No backslash: browsers read "/\evil.example" as "//evil.example", another site.
const link = z.string().max(500).regex(/^(\/(?!\/)[^\s\\]*|https?:\/\/[^\s\\]+)$/, 'a path starting with / or an http(s) URL, without backslashes')
  .regex(noControlCharacters, 'no control characters');
// No control characters: a NUL or an escape sequence in a menu or banner title had been stored and served.
const title = (max: number) => z.string().trim().min(1, 'must not be empty').max(max).regex(noControlCharacters, 'no control characters');

const platformSection = z.object({
  menu: z.array(z.object({ title: title(60), category: categoryPath }).strict()).max(limits.menu).default([]),
  banners: z.array(z.object({ title: title(120), imageUrl: link, href: link }).strict()).max(limits.banners).default([]),
}).strict();

export const regionDocumentInput = z.object({
  countries: z.array(z.string()).max(limits.countries).default([]),
  platforms: z.object({
    web: platformSection.default({ menu: [], banners: [] }),
    android: platformSection.default({ menu: [], banners: [] }),
    ios: platformSection.default({ menu: [], banners: [] }),
  }).strict().default({ web: { menu: [], banners: [] }, android: { menu: [], banners: [] }, ios: { menu: [], banners: [] } }),
  bestSellers: z.object({
    categories: z.int().min(1).max(limits.bestSellers),
    perCategory: z.int().min(1).max(limits.perCategory),
  }).strict(),
  flashSale: z.object({ title: title(120), skus: z.array(sku).min(1).max(limits.flashSaleSkus) }).strict().optional(),
}).strict().meta({ id: 'HomepageDocument' });

export type RegionDocumentInput = z.output<typeof regionDocumentInput>;

/** What the document store holds: the admin's document, its region and version. */
export interface RegionDocument extends RegionDocumentInput {
  region: string;
  version: number;
  updatedAt: number;
}

export interface FieldProblem { field: string; problem: string }

/** The document `default` has until an admin writes one: the catalog's best sellers, nothing else. */
export function builtInDefault(): RegionDocument {
  const empty = { menu: [], banners: [] };
  return {
    region: defaultRegion, version: 0, updatedAt: 0, countries: [],
    platforms: { web: empty, android: empty, ios: empty },
    bestSellers: { categories: 4, perCategory: 8 },
  };
}

function fieldName(path: PropertyKey[]): string {
  return path.length === 0 ? '(body)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/**
 * Checks a document's shape, bounds, country codes and duplicates. Every problem is
 * reported with the field it is in (`countries[2]`, `platforms.web.menu[0].category`).
 */
export function checkRegionDocument(value: unknown): { ok: RegionDocumentInput } | { problems: FieldProblem[] } {
  const parsed = regionDocumentInput.safeParse(value);
  if (!parsed.success) {
    return { problems: parsed.error.issues.slice(0, 50).map((i) => ({ field: fieldName(i.path), problem: i.message })) };
  }
  const doc = parsed.data;
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  doc.countries.forEach((c, i) => {
    if (!isoCountries.has(c)) problems.push({ field: `countries[${i}]`, problem: `"${c}" is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GB)` });
    else if (seen.has(c)) problems.push({ field: `countries[${i}]`, problem: `"${c}" is listed twice` });
    seen.add(c);
  });
  if (doc.flashSale) {
    const skus = new Set<string>();
    doc.flashSale.skus.forEach((s, i) => {
      if (skus.has(s)) problems.push({ field: `flashSale.skus[${i}]`, problem: `"${s}" is listed twice` });
      skus.add(s);
    });
  }
  return problems.length > 0 ? { problems } : { ok: doc };
}

/** Every category a document names, with the field it is in. */
export function categoriesOf(doc: RegionDocumentInput): { field: string; category: string }[] {
  return platforms.flatMap((p) => doc.platforms[p].menu.map((m, i) => ({ field: `platforms.${p}.menu[${i}].category`, category: m.category })));
}

/** Every SKU a document names, with the field it is in. */
export function skusOf(doc: RegionDocumentInput): { field: string; sku: string }[] {
  return (doc.flashSale?.skus ?? []).map((sku, i) => ({ field: `flashSale.skus[${i}]`, sku }));
}
