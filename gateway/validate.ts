// Request validation with zod: wrong types and missing fields are 400 `invalid_request`,
// well-formed values outside the rules (too long, out of range) are 422
// `validation_failed`; both name the fields in `details`.
import type { Context } from 'hono';
import type { z } from 'zod/v4';
import { readJson, readOptionalJson } from './body.ts';
import { HttpError } from './errors.ts';

export interface FieldProblem { field: string; problem: string }

type Issue = z.core.$ZodIssue;

/** A type error, a missing field or an unexpected shape: the client sent the wrong kind of thing. */
function isShapeError(i: Issue): boolean {
  // 1.5 for an integer is a value out of the rules, not a wrong type.
  if (i.code === 'invalid_type') return !(i.expected === 'int' && typeof i.input === 'number');
  // A union is the wrong kind of thing only if every one of its forms is: `{kind: "love",
  // sku}` against the forms `{kind: "not_interested", category}` and `{kind:
  // "not_interested", sku}` has the shape of the second, and a value out of its rules.
  if (i.code === 'invalid_union') {
    if (i.errors.length > 0) return i.errors.every((form) => form.some(isShapeError));
    // A discriminated union that matched no form: a discriminator of the right type with a
    // value none has is a value out of the rules; a missing or mistyped one, the wrong kind.
    const key = i.path[i.path.length - 1];
    const input = i.input;
    return !(key !== undefined && typeof input === 'object' && input !== null && typeof (input as Record<PropertyKey, unknown>)[key] === 'string');
  }
  // An enum or literal given another type of value (a number, null, an array, nothing): the
  // wrong kind of thing; a string none of the values is, a value out of the rules.
  if (i.code === 'invalid_value') return i.values.length > 0 && !i.values.some((v) => typeof v === typeof i.input);
  return i.code === 'unrecognized_keys';
}

/**
 * The issues to report: a union's replaced by those of its closest form (the fewest), so
 * that the details name `kind` rather than the whole body. Their paths are the union's own.
 */
function reported(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || i.errors.length === 0) return [i];
    // Every form refused only fields another form takes (`{kind, sku, category}` against a
    // form with `sku` and one with `category`): the mistake is sending them together, not
    // an unknown field.
    const extra = i.errors.map((form) => form.every((inner) => inner.code === 'unrecognized_keys' && inner.path.length === 0)
      ? form.flatMap((inner) => (inner.code === 'unrecognized_keys' ? inner.keys : []))
      : undefined);
    if (extra.every((keys) => keys !== undefined)) {
      const together = [...new Set(extra.flat())].sort();
      return [{ code: 'custom', path: i.path, message: `send one of ${together.join(', ')}, not more`, input: i.input } as Issue];
    }
    const closest = i.errors.reduce((a, b) => (b.length < a.length ? b : a));
    return reported(closest.map((inner) => ({ ...inner, path: [...i.path, ...inner.path] }) as Issue));
  });
}

function fieldName(path: PropertyKey[]): string {
  return path.length === 0 ? '(body)' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Checks `value` against `schema`; throws the HttpError the API promises. */
export function check<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  // One problem per field, the first: a value can fail two checks at once (a country `USA`
  // is neither two letters nor a code), and a client shows one line per field.
  const byField = new Map<string, FieldProblem>();
  for (const i of reported(issues)) {
    // Each unknown field by its own name (zod reports them together, on the object).
    const named = i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ field: fieldName([...i.path, key]), problem: `unknown field "${key}"` }))
      : [{ field: fieldName(i.path), problem: i.message }];
    for (const problem of named) if (!byField.has(problem.field)) byField.set(problem.field, problem);
  }
  const details = [...byField.values()].slice(0, 20);
  const names = details.map((d) => d.field).join(', ');
  if (issues.some(isShapeError)) throw new HttpError(400, 'invalid_request', `the ${what} has missing or mistyped fields: ${names}`, details);
  throw new HttpError(422, 'validation_failed', `the ${what} has invalid values: ${names}`, details);
}

/** Reads the JSON body and checks it. */
export async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return check(schema, await readJson(c));
}

/** `body` for a route whose every field is optional: no body at all is checked as `{}`. */
export async function optionalBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return check(schema, await readOptionalJson(c));
}
