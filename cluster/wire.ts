// The wire format of entity requests and replies. JSON, because it is what every
// tool on the path can read, and the payloads are small.
import { InvalidError, isWireError, type WireError } from './errors.ts';

/** One NATS message to an entity: several coalesced messages and the callers' deadline. */
export interface WireRequest {
  /** Absolute deadline, ms since the epoch; the node does not start work past it. */
  d: number;
  /** The messages, in the order the callers issued them. */
  m: unknown[];
  /**
   * 1: the caller reads framed replies (encodeReply). A node that does not know the field
   * answers plain JSON, which every caller still reads, so nodes and callers of different
   * versions can run side by side.
   */
  f?: 1;
}

/**
 * A value kept as its JSON text: what a framed reply delivers, parsed only when a caller
 * wants the value (ask) rather than the text (askJson). An entity may answer one too (a
 * view it encoded before and that has not changed): a framed reply sends the text as it is.
 */
export class JsonText {
  constructor(readonly text: string) {}

  /** In a plain JSON reply (a caller that does not read framed ones), the value itself. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** Per-message outcome: a value or an error. */
export type WireOutcome = { v: unknown } | { e: WireError };

/** The reply: one outcome per message, or one error for the whole request. */
export type WireReply = { r: WireOutcome[] } | { e: WireError };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(value: WireRequest | WireReply): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses and checks a request; throws InvalidError naming what is wrong. */
export function decodeRequest(data: Uint8Array): WireRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    throw new InvalidError('request is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidError('request must be a JSON object');
  const req = parsed as Record<string, unknown>;
  if (!Array.isArray(req.m) || req.m.length === 0) throw new InvalidError('request.m must be a non-empty array of messages');
  if (typeof req.d !== 'number' || !Number.isFinite(req.d)) throw new InvalidError('request.d must be a deadline in ms since the epoch');
  return req.f === 1 ? { d: req.d, m: req.m, f: 1 } : { d: req.d, m: req.m };
}

/** Marks a framed reply; a JSON reply starts with `{`. */
const framedMark = 1;

/**
 * A reply, framed when the request asked for it: a mark byte, a JSON array with one entry
 * per outcome (the length of the value's JSON text, null for an absent value, or the error),
 * a newline, then the values' texts back to back. The caller slices each value out without
 * parsing it, so a gateway that forwards an entity's answer (askJson) never decodes and
 * re-encodes it: in the cart scenario those two steps were a tenth of the gateway's time.
 */
export function encodeReply(reply: WireReply, framed: boolean): Uint8Array {
  if (!framed || 'e' in reply) return encode(reply);
  const head: (number | null | { e: WireError })[] = [];
  let texts = '';
  for (const o of asTexts(reply.r)) {
    if ('e' in o) head.push({ e: o.e });
    else if (o.v instanceof JsonText) {
      head.push(o.v.text.length);
      texts += o.v.text;
    } else head.push(null);
  }
  return encoder.encode(`${String.fromCharCode(framedMark)}${JSON.stringify(head)}\n${texts}`);
}

/**
 * Each value as its JSON text (JsonText), as a framed reply delivers it: a value JSON
 * cannot carry (undefined) arrives absent. Errors are passed as they are.
 */
export function asTexts(outcomes: WireOutcome[]): WireOutcome[] {
  return outcomes.map((o): WireOutcome => {
    if ('e' in o || o.v instanceof JsonText) return o;
    const text = JSON.stringify(o.v) as string | undefined;
    return text === undefined ? ({} as WireOutcome) : { v: new JsonText(text) };
  });
}

const badShape: WireReply = { e: { code: 'internal', message: 'reply has the wrong shape', retryable: false } };

function decodeFramed(text: string, expected: number): WireReply {
  const end = text.indexOf('\n');
  if (end < 0) return badShape;
  let head: unknown;
  try {
    head = JSON.parse(text.slice(1, end));
  } catch {
    return badShape;
  }
  if (!Array.isArray(head) || head.length !== expected) return badShape;
  const r: WireOutcome[] = new Array(expected);
  let at = end + 1;
  for (let i = 0; i < expected; i++) {
    const h: unknown = head[i];
    if (typeof h === 'number' && Number.isInteger(h) && h >= 0 && at + h <= text.length) {
      r[i] = { v: new JsonText(text.slice(at, (at += h))) };
    } else if (h === null) {
      // An absent value, as JSON would deliver it: no `v`.
      r[i] = {} as WireOutcome;
    } else if (typeof h === 'object' && isWireError((h as { e?: unknown }).e)) {
      r[i] = { e: (h as { e: WireError }).e };
    } else {
      return badShape;
    }
  }
  return at === text.length ? { r } : badShape;
}

/** Parses a reply from a node; a reply that is not one is reported as an error outcome. */
export function decodeReply(data: Uint8Array, expected: number): WireReply {
  if (data[0] === framedMark) return decodeFramed(decoder.decode(data), expected);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return { e: { code: 'internal', message: 'reply is not valid JSON', retryable: false } };
  }
  const reply = parsed as Record<string, unknown> | null;
  if (reply && isWireError(reply.e)) return { e: reply.e };
  if (reply && Array.isArray(reply.r) && reply.r.length === expected) return { r: reply.r as WireOutcome[] };
  return badShape;
}
