// Reading a request body with the errors API.md promises: 413 over the limit, 415 for
// another media type, 400 for malformed JSON, never a 500.
//
// The body is read straight from Node's IncomingMessage when the app is served by
// @hono/node-server: asking Hono for it (or for `c.req.raw`, as hono/body-limit does)
// makes the adapter build a fetch Request with a web stream and an AbortController per
// call, which was about a tenth of the gateway's CPU per order in the flash sale profile.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from './errors.ts';
import { wellFormed } from '../stores/unicode.ts';

export const maxBodyBytes = 1024 * 1024;

const read = new WeakMap<object, Promise<string>>();

const tooLarge = () => new HttpError(413, 'body_too_large', `the body is over ${maxBodyBytes} bytes`);

/**
 * JSON is UTF-8 (RFC 8259). Decoded as it came, other bytes (a Latin-1 "é") became U+FFFD
 * and were stored in place of what the client sent, without a word.
 */
const notUtf8 = () => new HttpError(400, 'malformed_json', 'the body is not valid UTF-8; send JSON encoded as UTF-8');

/** Node's request body as text, refused with 413 once it is over the limit and with 400 when it is not UTF-8. */
export function readIncoming(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        incoming.removeAllListeners('data');
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    incoming.once('end', () => {
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (isUtf8(bytes)) resolve(bytes.toString('utf8'));
      else reject(notUtf8());
    });
    // The client went away mid-body (or was cut off at the request bound): nobody is left to
    // answer, and it is the client's doing, not a 500 for the error log.
    incoming.once('error', () => reject(new HttpError(400, 'body_incomplete', 'the request ended before its body did')));
  });
}

/** The body as text, read once per request (later calls get the same text). */
export function rawBody(c: Context): Promise<string> {
  let text = read.get(c.req);
  if (!text) {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > maxBodyBytes) text = Promise.reject(tooLarge());
    else {
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      // Without a Node request (app.request() in tests) Hono's own reader is all there is.
      text = incoming && incoming.readableEnded === false ? readIncoming(incoming) : c.req.text();
    }
    read.set(c.req, text);
  }
  return text;
}

/** A Content-Type's media type, lower-cased, without its parameters ("" when there is none). */
export function mediaType(type: string | undefined): string {
  return (type ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Whether a Content-Type header names JSON (anything else is a 415): the media type itself,
 * any parameters (a charset) aside. A prefix test took application/json-patch+json (a
 * list of patch operations, not the object the route reads) and "application/json, text/plain".
 */
export function isJsonType(type: string | undefined): boolean {
  return mediaType(type) === 'application/json';
}

/** Whether a Content-Type header names NDJSON (the bulk product upload), by its whole media type. */
export function isNdjsonType(type: string | undefined): boolean {
  const media = mediaType(type);
  return media === 'application/x-ndjson' || media === 'application/ndjson';
}

/**
 * `readJson` for a route whose every field is optional (a checkout of the cart): a request
 * with no body at all (no Content-Length or 0, no Transfer-Encoding) is `{}`, whatever its
 * Content-Type, and so is one sent chunked with no bytes (as `noBody` takes it: it had been
 * a 400 "the body is empty" for the same checkout of the cart); one with a body, even of
 * white space only, is read as `readJson` reads it.
 */
export async function readOptionalJson(c: Context): Promise<unknown> {
  if (sentNoBody(c)) return {};
  if (c.req.header('content-length') === undefined && (await rawBody(c)) === '') return {};
  return readJson(c);
}

/** No Content-Length (or 0) and no Transfer-Encoding: the request has no body at all. */
function sentNoBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (length === undefined || length.trim() === '0') && c.req.header('transfer-encoding') === undefined;
}

/**
 * For a POST that takes no body (a cancel, a logout): none at all, or JSON, which is
 * ignored. A body that is not JSON is refused as any route refuses one (415, 400) rather
 * than passed over: its sender meant something by it, and a malformed one is API.md's 400.
 */
export async function noBody(c: Context): Promise<void> {
  if (sentNoBody(c)) return;
  // Sent, but perhaps empty (a chunked body of no bytes): that is no body too.
  const text = await rawBody(c);
  if (text.trim() === '') return;
  if (!isJsonType(c.req.header('content-type'))) throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json');
  parseJsonBody(text);
}

export async function readJson(c: Context): Promise<unknown> {
  if (!isJsonType(c.req.header('content-type'))) throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json');
  return parseJsonBody(await rawBody(c));
}

/** A request body's JSON, or the 400 API.md promises for an empty or malformed one. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'invalid_request', 'the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'malformed_json', 'the body is not valid JSON');
  }
  // Only a \u escape can make one: the bytes themselves were checked to be UTF-8.
  if (text.includes('\\u') && !wellFormed(value)) {
    throw new HttpError(400, 'malformed_json', 'the body has a \\u escape of a lone surrogate, which is not Unicode text; send JSON encoded as UTF-8');
  }
  return value;
}

