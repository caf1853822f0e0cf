// The homepage ahead of the general middleware chain. It is the page a crowd hits, and it
// reads only this process's memory (plus, for a signed-in shopper, the two Redis reads of
// the personal block), so it keeps what matters of the chain
// (request id, the per-IP limit and its headers, the client address behind trusted
// proxies, metrics, ETag/304, compression) and skips the rest. Its answer is a plain
// response with a pre-encoded body and plain headers, which @hono/node-server writes
// without building a fetch Headers object or encoding the page again: bench:homepage
// showed the page's string encoding and the Headers object as a third of the gateway's
// time per request. A token is served here when the gateway's live-session cache vouches
// for it (LiveSessions.peek: the same answer the chain's authenticate would take from it);
// an unknown token, or a cross-origin request when CORS is configured, falls through to
// the ordinary route.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { isPlatform } from '../../actors/homepage/index.ts';
import type { ServedPage } from '../../actors/homepage/reader.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { clientAddress } from '../client-ip.ts';
import { bearer } from '../auth.ts';
import { hashToken, looksLikeToken } from '../../actors/session/index.ts';
import { rateLimitHeaders, type BatchedWindowLimiter } from '../rate-limit.ts';
import { etagMatches } from './homepage.ts';
import { compressSync, encodingFor } from '../representation.ts';

export interface FastHomepageOptions {
  limiter: BatchedWindowLimiter;
  served: Counter<'source'>;
  /** Records the request in shop_http_* like the metrics middleware does. */
  observe(route: string, method: string, status: number, startedAt: number): void;
  corsConfigured: boolean;
}

type Encoding = 'br' | 'gzip';

/** Encoded bodies of the pages in hand, per page object (made once per version read) and encoding. */
class EncodedPages {
  private readonly byPage = new WeakMap<ServedPage, Partial<Record<Encoding | 'identity', Uint8Array<ArrayBuffer>>>>();

  get(page: ServedPage, encoding: Encoding | undefined): Uint8Array<ArrayBuffer> {
    let bodies = this.byPage.get(page);
    if (!bodies) this.byPage.set(page, (bodies = {}));
    return (bodies[encoding ?? 'identity'] ??= bodyOf(page.json, encoding));
  }
}

/** The user whose live session (as the gateway's cache holds it) the Authorization header names. */
function cachedUser(deps: GatewayDeps, authorization: string): string | undefined {
  const token = bearer(authorization);
  if (!token || !looksLikeToken(token)) return undefined;
  return deps.liveSessions?.peek(hashToken(token))?.userId;
}

export function fastHomepage(deps: GatewayDeps, opts: FastHomepageOptions): MiddlewareHandler<GatewayEnv> {
  const { reader } = deps.homepage;
  const encoded = new EncodedPages();
  const limit = deps.limits.perIpPerSec;
  return async (c, next) => {
    const header = headerReader(c);
    const platform = c.req.query('platform') ?? 'web';
    // Anything unusual takes the ordinary route, which answers it in full: a token this
    // gateway has not seen live (the chain asks its session entity, then caches it), a
    // cross-origin request when CORS is configured, a bad platform.
    const authorization = header('authorization');
    const userId = authorization === undefined ? undefined : cachedUser(deps, authorization);
    if ((authorization !== undefined && userId === undefined) || (opts.corsConfigured && header('origin') !== undefined) || !isPlatform(platform)) {
      return next();
    }
    const startedAt = performance.now();
    const requestId = header('x-request-id')?.slice(0, 128) || randomUUID();
    const ip = clientAddress(c, deps.limits.trustProxy);
    let left: { remaining: number; resetSeconds: number };
    try {
      left = opts.limiter.enforce(`ip:${ip}`, limit, 'requests from this address');
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      opts.observe('/v1/homepage', 'GET', err.status, startedAt);
      return new Response(JSON.stringify({ error: { code: err.code, message: err.message, requestId } }), {
        status: err.status,
        headers: {
          'Content-Type': 'application/json', 'X-Request-Id': requestId, 'Retry-After': String(err.retryAfterSeconds ?? 1),
          ...rateLimitHeaders(limit, { remaining: 0, resetSeconds: err.retryAfterSeconds ?? 1 }),
        },
      });
    }
    const page = reader.pageNow(ip, platform) ?? await reader.page(await reader.regionOf(ip), platform);
    opts.served.inc({ source: page.source });
    // A personal page (the for_you block merged in) is never stored by a shared cache.
    const personal = userId === undefined ? undefined : await reader.personal(page, userId);
    const etag = personal?.etag ?? page.etag;
    const headers: Record<string, string> = {
      'X-Request-Id': requestId, ETag: etag, 'Cache-Control': personal ? 'private, max-age=0' : 'public, max-age=30', Vary: 'Authorization, Accept-Encoding',
      ...rateLimitHeaders(limit, left),
    };
    if (etagMatches(header('if-none-match'), etag)) {
      opts.observe('/v1/homepage', 'GET', 304, startedAt);
      return new Response(null, { status: 304, headers });
    }
    const encoding = encodingFor(header('accept-encoding'));
    const body = personal ? bodyOf(personal.json, encoding) : encoded.get(page, encoding);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(body.byteLength);
    if (encoding) headers['Content-Encoding'] = encoding;
    opts.observe('/v1/homepage', 'GET', 200, startedAt);
    return new Response(body, { status: 200, headers });
  };
}

/**
 * Request headers by lower-case name: straight from Node's parsed headers when served by
 * @hono/node-server (one object for the request; each c.req.header call scans the raw list).
 */
function headerReader(c: Context<GatewayEnv>): (name: string) => string | undefined {
  const parsed = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.headers;
  if (!parsed) return (name) => c.req.header(name);
  return (name) => {
    const v = parsed[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
}

/** A page's bytes, compressed when asked, on an ArrayBuffer of their own (Buffer.from may share Node's pool; Response wants its own). */
function bodyOf(json: string, encoding: Encoding | undefined): Uint8Array<ArrayBuffer> {
  const plain = Buffer.from(json);
  const bytes = encoding ? compressSync(encoding, plain) : plain;
  const body = new Uint8Array(bytes.byteLength);
  body.set(bytes);
  return body;
}
