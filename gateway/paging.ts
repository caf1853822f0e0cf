// The list parameters every paginated route shares, so the same mistake gets the same
// answer everywhere: `limit` that is not a number is 400 `invalid_request`; a whole number
// outside 1..100 (or a fraction) is 422 `validation_failed`; a cursor this API could not
// have returned is 400 `invalid_cursor`.
import { z } from 'zod/v4';
import { HttpError } from './errors.ts';
import { check } from './validate.ts';

export const maxLimit = 100;

/**
 * A whole number in a query string: written as digits (a sign and a fraction are read, to
 * be refused as out of the rules, 422); anything else, such as `ten`, `0x10`, `1e2` or
 * ` 10`, is the wrong kind of value (400), where Number() had taken the last three. Empty
 * (`?limit=`) is as if absent, as an empty cursor is.
 */
function asQueryNumber(v: unknown): unknown {
  if (v === '') return undefined;
  return typeof v === 'string' && /^-?[0-9]{1,15}(\.[0-9]+)?$/.test(v) ? Number(v) : v;
}

/** An optional whole number `min`..`max` of a query string (see asQueryNumber). */
export function queryInt(min: number, max: number) {
  return z.preprocess(asQueryNumber, z.number().int().min(min).max(max).optional());
}

/** The same with a default (inside: an empty value reaches it as absent). */
export function queryIntOr(min: number, max: number, fallback: number) {
  return z.preprocess(asQueryNumber, z.number().int().min(min).max(max).default(fallback));
}

/** `?limit=`: default 20, 1..100. */
export const limitParam = queryIntOr(1, maxLimit, 20);

const badCursor = () => new HttpError(400, 'invalid_cursor', 'the cursor is not one this API returned', [{ field: 'cursor', problem: 'not a cursor from a previous page' }]);

/**
 * Checks an opaque cursor: empty is the first page; one that is too long, has characters
 * no cursor has, or that `decode` refuses is 400 `invalid_cursor`.
 */
export function cursorParam(raw: string | undefined, decode?: (cursor: string) => unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 512 || !/^[A-Za-z0-9_\-.=~:]+$/.test(raw)) throw badCursor();
  if (decode) {
    try {
      decode(raw);
    } catch {
      throw badCursor();
    }
  }
  return raw;
}

const page = z.object({ limit: limitParam });

/** `limit` and `cursor` of a list route's query string. */
export function pageParams(query: Record<string, string>): { limit: number; cursor: string | undefined } {
  const { limit } = check(page, { limit: query.limit }, 'query');
  return { limit, cursor: cursorParam(query.cursor) };
}
