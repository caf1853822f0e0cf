// The list parameters every paginated route shares, so the same mistake gets the same
// answer everywhere: `limit` that is not a number is 400 `invalid_request`; a whole number
// outside 1..100 (or a fraction) is 422 `validation_failed`; a cursor this API could not
// have returned is 400 `invalid_cursor`.
import { z } from 'zod/v4';
import { RejectedError } from '../cluster/index.ts';
import { HttpError } from './errors.ts';
import { check } from './validate.ts';

export const maxLimit = 100;

/**
 * A number in a query string, read as Number() reads it (what z.coerce took before: API.md
 * may only add); empty or blank (`?limit=`) is as if absent, as an empty cursor is, where
 * it had been 0 and a 422. What Number() cannot read (`ten`) stays a string: the wrong kind, 400.
 */
function asQueryNumber(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isNaN(n) ? v : n;
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
  return readCursor(raw, decode).cursor;
}

/** `cursorParam`, with what `decode` read from it (each cursor decoded once). */
function readCursor<P>(raw: string | undefined, decode?: (cursor: string) => P): { cursor: string | undefined; after: P | undefined } {
  if (raw === undefined || raw === '') return { cursor: undefined, after: undefined };
  if (raw.length > 512 || !/^[A-Za-z0-9_\-.=~:]+$/.test(raw)) throw badCursor();
  if (!decode) return { cursor: raw, after: undefined };
  try {
    return { cursor: raw, after: decode(raw) };
  } catch (err) {
    // A decoder that says why (a cursor of another account's list, actors/common/list-owner.ts) is answered so.
    if (err instanceof RejectedError && err.code === 'invalid_cursor') throw new HttpError(400, 'invalid_cursor', err.message, err.data ?? null);
    throw badCursor();
  }
}

const page = z.object({ limit: limitParam });

/**
 * `limit` and `cursor` of a list route's query string; `decode` (when given) reads the
 * cursor, refusing one this API did not give out. `given`: whether either was sent (a
 * blank one counts as not sent), for a route that answers its whole list without them.
 */
export function pageParams<P = never>(query: Record<string, string>, decode?: (cursor: string) => P): { limit: number; cursor: string | undefined; after: P | undefined; given: boolean } {
  const { limit } = check(page, { limit: query.limit }, 'query');
  const { cursor, after } = readCursor(query.cursor, decode);
  return { limit, cursor, after, given: asQueryNumber(query.limit) !== undefined || cursor !== undefined };
}
