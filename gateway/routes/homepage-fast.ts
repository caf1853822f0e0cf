// The anonymous homepage ahead of the general middleware chain. It is the page a crowd
// hits, and it only reads this process's memory, so it keeps what matters of the chain
// (request id, the per-IP limit and its headers, the client address behind trusted
// proxies, metrics, ETag/304, compression) and skips the rest. Its answer is a plain
// response with a pre-encoded body and plain headers, which @hono/node-server writes
// without building a fetch Headers object or encoding the page again: bench:homepage
// showed the page's string encoding and the Headers object as a third of the gateway's
// time per request. A request with a token (the personal block) or a cross-origin
// request when CORS is configured falls through to the ordinary route.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { isPlatform } from '../../actors/homepage/index.ts';
import type { ServedPage } from '../../actors/homepage/reader.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { clientAddress } from '../client-ip.ts';
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

/** Encoded bodies of the pages in hand, by ETag and encoding; a handful of regions × platforms. */
class EncodedPages {
  private readonly byKey = new Map<string, Uint8Array<ArrayBuffer>>();

  get(page: ServedPage, encoding: Encoding | undefined): Uint8Array<ArrayBuffer> {
    const key = `${encoding ?? 'identity'} ${page.etag}`;
    let body = this.byKey.get(key);
    if (!body) {
      const plain = Buffer.from(page.json);
      const bytes = encoding ? compressSync(encoding, plain) : plain;
      // A copy on its own ArrayBuffer (Buffer.from may share Node's pool), as Response wants.
      body = new Uint8Array(bytes.byteLength);
      body.set(bytes);
      // Old versions go: a page changes a few times a day, never per request.
      if (this.byKey.size >= 256) this.byKey.clear();
      this.byKey.set(key, body);
    }
    return body;
  }
}

export function fastAnonymousHomepage(deps: GatewayDeps, opts: FastHomepageOptions): MiddlewareHandler<GatewayEnv> {
  const { reader } = deps.homepage;
  const encoded = new EncodedPages();
  const limit = deps.limits.perIpPerSec;
  return async (c, next) => {
    const platform = c.req.query('platform') ?? 'web';
    // Anything unusual takes the ordinary route, which answers it in full.
    if (c.req.header('authorization') !== undefined || (opts.corsConfigured && c.req.header('origin') !== undefined) || !isPlatform(platform)) {
      return next();
    }
    const startedAt = performance.now();
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || randomUUID();
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
    const page = await reader.page(await reader.regionOf(ip), platform);
    opts.served.inc({ source: page.source });
    const headers: Record<string, string> = {
      'X-Request-Id': requestId, ETag: page.etag, 'Cache-Control': 'public, max-age=30', Vary: 'Authorization, Accept-Encoding',
      ...rateLimitHeaders(limit, left),
    };
    if (etagMatches(c.req.header('if-none-match'), page.etag)) {
      opts.observe('/v1/homepage', 'GET', 304, startedAt);
      return new Response(null, { status: 304, headers });
    }
    const encoding = encodingFor(c.req.header('accept-encoding'));
    const body = encoded.get(page, encoding);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(body.byteLength);
    if (encoding) headers['Content-Encoding'] = encoding;
    opts.observe('/v1/homepage', 'GET', 200, startedAt);
    return new Response(body, { status: 200, headers });
  };
}
