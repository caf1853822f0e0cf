// Response representation after the route ran: a weak ETag on public GETs (with 304 for a
// matching If-None-Match) and gzip/brotli for bodies worth it. Bodies under 1 KiB (stock
// reads, carts, checkouts: the hot paths) and streams are sent as they are, so those pay
// only a few header checks.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './env.ts';

/** Smaller bodies are sent as they are: compressing them saves less than it costs. */
export const minCompressBytes = 1024;
/** Above this, compress off the event loop (zlib's thread pool). */
const syncCompressBytes = 64 * 1024;
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
const gzipOptions = { level: 5 };

/** Public reads whose answer depends only on the URL (and the caller's address, for delivery). */
/** The public GETs, which carry an ETag and answer 304 (also what /openapi.json advertises). */
export const publicGet = /^\/v1\/(products|search|categories|inventory|homepage)(\/|$)/;
const compressible = /^(application\/(json|javascript|problem\+json)|text\/(html|plain|css|javascript))\b/;
/** Streamed bodies: buffering them would defeat the stream. */
const streamed = /^(text\/event-stream|application\/(x-)?ndjson)\b/;

/** The encoding to send for an Accept-Encoding header: brotli, else gzip, else none. */
export function encodingFor(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (!accept) return undefined;
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

/** `input` compressed on the event loop, with the settings every answer uses. */
export function compressSync(enc: 'br' | 'gzip', input: Buffer): Buffer {
  return enc === 'br' ? brotliCompressSync(input, brotliOptions) : gzipSync(input, gzipOptions);
}

/** `text` compressed with the settings every answer uses: on the event loop up to 64 KiB, else off it. */
export async function compress(enc: 'br' | 'gzip', text: string): Promise<Uint8Array<ArrayBuffer>> {
  const input = Buffer.from(text);
  const out = input.length <= syncCompressBytes
    ? compressSync(enc, input)
    : await (enc === 'br' ? brotliAsync(input, brotliOptions) : gzipAsync(input, gzipOptions));
  return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)) as Uint8Array<ArrayBuffer>;
}

/**
 * The body of a response as text. @hono/node-server's Response keeps a string body in a
 * symbol-keyed slot until something asks for a stream; reading it there costs nothing,
 * where res.text() builds the full fetch Response and reads it back through a stream (a
 * millisecond of CPU per request in bench:http-extras). Any other response is read normally.
 */
async function bodyText(c: Context<GatewayEnv>, res: Response): Promise<{ text: string; res: Response }> {
  cacheSlot ??= Object.getOwnPropertySymbols(res).find((s) => s.description === 'cache');
  if (cacheSlot) {
    const cached = (res as unknown as Record<symbol, unknown>)[cacheSlot];
    if (Array.isArray(cached) && typeof cached[1] === 'string') return { text: cached[1], res };
  }
  // Read, so put an unread copy in its place.
  const text = await res.text();
  const copy = new Response(text, { status: res.status, headers: res.headers });
  replace(c, copy);
  return { text, res: copy };
}
let cacheSlot: symbol | undefined;

/**
 * True when If-None-Match names `etag` (or is `*`), compared weakly as RFC 9110 says for
 * If-None-Match: `W/"x"` and `"x"` match. The exact value is checked first (the common case).
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === bare;
  });
}

/**
 * Puts `res` in place of the route's response as it is. Assigning c.res over a response
 * merges the two through a stream body, which the Node adapter then pipes instead of
 * writing the string at once; clearing it first avoids that.
 */
function replace(c: Context<GatewayEnv>, res: Response): void {
  c.res = undefined;
  c.res = res;
}

export function representation(): MiddlewareHandler<GatewayEnv> {
  return async (c: Context<GatewayEnv>, next) => {
    await next();
    const res = c.res;
    if (res.status !== 200 || res.headers.has('content-encoding')) return;
    const type = res.headers.get('content-type') ?? '';
    if (!compressible.test(type) || streamed.test(type)) return;
    const method = c.req.method;
    const tagged = (method === 'GET' || method === 'HEAD') && publicGet.test(c.req.path) && !res.headers.has('etag');
    const enc = encodingFor(c.req.header('accept-encoding'));
    if (!tagged && !enc) return;
    const { text, res: current } = await bodyText(c, c.res);
    if (tagged) {
      // A signed-in caller's answer may differ (a product's delivery to their address,
      // related products without the ones they hid): a shared cache must not hand them the
      // anonymous copy it keeps, nor an anonymous caller theirs.
      current.headers.append('Vary', 'Authorization');
      // Weak: the same JSON is sent gzip'd, brotli'd or plain.
      const etag = `W/"${createHash('sha1').update(text).digest('base64url').slice(0, 22)}"`;
      if (etagMatches(c.req.header('if-none-match'), etag)) {
        const headers = new Headers(current.headers);
        headers.delete('content-type');
        headers.set('ETag', etag);
        replace(c, new Response(null, { status: 304, headers }));
        return;
      }
      // Set on the response as it is: building a new one would cost more than the hash.
      current.headers.set('ETag', etag);
    }
    if (!enc) return;
    current.headers.append('Vary', 'Accept-Encoding');
    if (text.length < minCompressBytes) return;
    const headers = new Headers(current.headers);
    headers.set('Content-Encoding', enc);
    headers.delete('content-length');
    replace(c, new Response(await compress(enc, text), { status: 200, headers }));
  };
}
