// The wire format of entity requests and replies. JSON, because it is what every
// tool on the path can read, and the payloads are small.
import { InvalidError, isWireError, type WireError } from './errors.ts';

/** One NATS message to an entity: several coalesced messages and the callers' deadline. */
export interface WireRequest {
  /** Absolute deadline, ms since the epoch; the node does not start work past it. */
  d: number;
  /** The messages, in the order the callers issued them. */
  m: unknown[];
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
  return { d: req.d, m: req.m };
}

/** Parses a reply from a node; a reply that is not one is reported as an error outcome. */
export function decodeReply(data: Uint8Array, expected: number): WireReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return { e: { code: 'internal', message: 'reply is not valid JSON', retryable: false } };
  }
  const reply = parsed as Record<string, unknown> | null;
  if (reply && isWireError(reply.e)) return { e: reply.e };
  if (reply && Array.isArray(reply.r) && reply.r.length === expected) return { r: reply.r as WireOutcome[] };
  return { e: { code: 'internal', message: 'reply has the wrong shape', retryable: false } };
}
