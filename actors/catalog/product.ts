// The catalog product: its fixed core and free-form attributes, checked the same way for
// one JSON product and for each NDJSON line. Pure: no I/O.
import { z } from 'zod/v4';
import { isoCurrency } from './currencies.ts';
import { noControlCharacters, wellFormed } from '../../stores/unicode.ts';

const slug = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*){0,5}$/;
// Control characters (a NUL, an escape sequence) have no place in a name shown on the
// storefront, in search facets and in the report's terminal output: they had been stored.
const noControl = noControlCharacters;
const name = (max: number) => z.string().trim().min(1).max(max).regex(noControl, 'no control characters');
/** An attribute's value (shown in facets): its text, or the texts in a list of values, hold no control characters. */
const attributeValue = z.unknown().refine(
  (v) => (typeof v === 'string' ? noControl.test(v) : !Array.isArray(v) || v.every((x) => typeof x !== 'string' || noControl.test(x))),
  'no control characters',
);

/** What a supplier sends. */
export const productInput = z.object({
  sku: z.string().regex(/^[A-Za-z0-9_\-:@+=]{1,128}$/, 'letters, digits and _-:@+=, 1-128 characters'),
  title: name(300),
  brand: name(120),
  category: z.string().regex(slug, 'a category path of lowercase slugs such as "electronics/audio/headphones"').max(120),
  price: z.int().min(0).max(100_000_000).describe('minor units (cents)'),
  currency: isoCurrency,
  supplierId: z.string().regex(/^[A-Za-z0-9_\-:@+=]{1,64}$/, 'letters, digits and _-:@+=, 1-64 characters'),
  attributes: z.record(z.string().max(64).regex(noControl, 'no control characters'), attributeValue).default({}),
}).strict().meta({ id: 'ProductInput' });

export type ProductInput = z.output<typeof productInput>;

/** The stored document and the CATALOG event body. */
export interface CatalogProduct extends ProductInput {
  createdAt: number;
  updatedAt: number;
}

/** The CATALOG event: a whole product (upsert) or its removal. */
export type CatalogEvent = { kind: 'product'; product: CatalogProduct } | { kind: 'removed'; sku: string; at: number };

export interface LineProblem { line: number; reason: string }

function describe(err: z.ZodError): string {
  return err.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(line)'}: ${i.message}`).join('; ');
}

/** Checks one parsed value; the reason names the fields. */
export function checkProduct(value: unknown): { ok: ProductInput } | { reason: string } {
  const r = productInput.safeParse(value);
  return r.success ? { ok: r.data } : { reason: describe(r.error) };
}

/**
 * Splits an NDJSON body into good products and bad lines (1-based line numbers, blank lines
 * ignored). A SKU repeated later in the body wins, as a later event would.
 */
export function parseNdjson(text: string, maxLines = 10_000): { products: ProductInput[]; problems: LineProblem[] } {
  const products: ProductInput[] = [];
  const problems: LineProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    if (products.length + problems.length >= maxLines) {
      problems.push({ line: i + 1, reason: `more than ${maxLines} products in one body; send the rest in another request` });
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push({ line: i + 1, reason: 'not valid JSON' });
      continue;
    }
    // A \u escape of a lone surrogate: accepted, it was listed by search while its document
    // write failed MariaDB's JSON check and was retried for ever.
    if (raw.includes('\\u') && !wellFormed(value)) {
      problems.push({ line: i + 1, reason: 'a \\u escape of a lone surrogate, which is not Unicode text' });
      continue;
    }
    const checked = checkProduct(value);
    if ('ok' in checked) products.push(checked.ok);
    else problems.push({ line: i + 1, reason: checked.reason });
  }
  return { products, problems };
}
