// The homepage ahead of the general middleware chain. It is the page a crowd hits, and it
// reads only this process's memory (plus, for a signed-in shopper, the two Redis reads of
// the personal block), so it keeps what matters of the chain (request id, the per-IP limit
// and its headers, the client address behind trusted proxies, metrics, ETag/304,
// compression) and skips the rest. A token is served here when the gateway's live-session
// cache vouches for it (LiveSessions.peek: the same answer the chain's authenticate would
// take from it); an unknown token, a cross-origin request when CORS is configured, or a bad
// platform falls through to the ordinary route, which answers it in full.
//
// It is Node's own request listener in front of Hono's (`listener`, what the gateway serves
// with): no fetch Request, Hono context or Response per request; bench:homepage showed those
// as a fifth of the anonymous page's cost. An app used without Node's server (app.request()
// in tests) has the ordinary route answer every homepage.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { isPlatform } from '../../actors/homepage/index.ts';
import type { ServedPage } from '../../actors/homepage/reader.ts';
import type { GatewayDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { addressOf, limitedAs } from '../client-ip.ts';
import { NodeRequest, errorAnswer, vouchedUser, withCors, type FastAnswer } from '../fast-lane.ts';
import { rateLimitHeaders, refusedLeft, type BatchedWindowLimiter } from '../rate-limit.ts';
import type { Shedder } from '../shedding.ts';
import { compressSync, encodingFor, etagMatches } from '../representation.ts';
import { requestIdOf } from '../request-id.ts';

export interface FastHomepageOptions {
  limiter: BatchedWindowLimiter;
  /** The chain's bound on requests in progress: a personal page (Redis reads) takes a slot. */
  shedder: Pick<Shedder, 'take' | 'release'>;
  served: Counter<'source'>;
  /** Records the request in shop_http_* like the metrics middleware does. */
  observe(route: string, method: string, status: number, startedAt: number): void;
  corsConfigured: boolean;
  log: Logger;
}

type Encoding = 'br' | 'gzip';

/** Encoded bodies of the pages in hand, per page object (made once per version read) and encoding. */
class EncodedPages {
  private readonly byPage = new WeakMap<ServedPage, Partial<Record<Encoding | 'identity', Uint8Array>>>();

  get(page: ServedPage, encoding: Encoding | undefined): Uint8Array {
    let bodies = this.byPage.get(page);
    if (!bodies) this.byPage.set(page, (bodies = {}));
    return (bodies[encoding ?? 'identity'] ??= bodyOf(page.json, encoding));
  }
}

export interface FastHomepage {
  /** Node's request listener: GET /v1/homepage answered here, everything else (or a fall-through) by `fallback`. */
  listener(fallback: RequestListener): RequestListener;
}

export function fastHomepage(deps: GatewayDeps, opts: FastHomepageOptions): FastHomepage {
  const { reader } = deps.homepage;
  const encoded = new EncodedPages();
  const limit = deps.limits.perIpPerSec;

  /** The answer, or undefined when the ordinary route must answer. */
  const answer = async (req: NodeRequest, given: string | undefined): Promise<FastAnswer | undefined> => {
    const platform = given ?? 'web';
    const authorization = req.header('authorization');
    const userId = authorization === undefined ? undefined : vouchedUser(deps, authorization);
    if ((authorization !== undefined && userId === undefined) || (opts.corsConfigured && req.header('origin') !== undefined) || !isPlatform(platform)) {
      return undefined;
    }
    const startedAt = performance.now();
    const requestId = requestIdOf(req.header('x-request-id'));
    const ip = addressOf(req.header('x-forwarded-for'), req, deps.limits.trustProxy);
    let left: { remaining: number; resetSeconds: number };
    try {
      left = opts.limiter.enforce(`ip:${limitedAs(ip)}`, limit, 'requests from this address');
    } catch (err) {
      if (err instanceof HttpError) return refused(opts, err, { limit, left: undefined, requestId, startedAt });
      throw err;
    }
    const page = reader.pageNow(ip, platform) ?? await reader.page(await reader.regionOf(ip), platform);
    opts.served.inc({ source: page.source });
    // A personal page (the for_you block merged in) is never stored by a shared cache.
    let personal: { json: string; etag: string } | undefined;
    if (userId !== undefined) {
      // It waits for Redis: it counts against the gateway's bound like any routed request.
      try {
        opts.shedder.take();
      } catch (err) {
        if (err instanceof HttpError) return refused(opts, err, { limit, left, requestId, startedAt });
        throw err;
      }
      try {
        personal = await reader.personal(page, userId);
      } finally {
        opts.shedder.release();
      }
    }
    const etag = personal?.etag ?? page.etag;
    const headers: Record<string, string> = {
      'X-Request-Id': requestId, ETag: etag, 'Cache-Control': personal ? 'private, max-age=0' : 'public, max-age=30', Vary: 'Authorization, Accept-Encoding',
      ...rateLimitHeaders(limit, left),
    };
    if (etagMatches(req.header('if-none-match'), etag)) {
      opts.observe('/v1/homepage', 'GET', 304, startedAt);
      return { status: 304, headers, body: null };
    }
    const encoding = encodingFor(req.header('accept-encoding'));
    const body = personal ? bodyOf(personal.json, encoding) : encoded.get(page, encoding);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(body.byteLength);
    if (encoding) headers['Content-Encoding'] = encoding;
    opts.observe('/v1/homepage', 'GET', 200, startedAt);
    return { status: 200, headers, body };
  };

  // No closures made per request: run through tsx (APP_FROM_SOURCE=1), which compiles with
  // keepNames, each would cost an Object.defineProperty (esbuild's __name) besides itself,
  // 5% of this path's time in bench:homepage before the app ran compiled (app/build.ts).
  async function serve(req: IncomingMessage, res: ServerResponse, platform: string | undefined, fallback: RequestListener): Promise<void> {
    let a: FastAnswer | undefined;
    try {
      a = await answer(new NodeRequest(req), platform);
    } catch {
      a = undefined; // anything unexpected: the ordinary route answers, with its own error handling
    }
    if (!a) return void fallback(req, res);
    res.writeHead(a.status, withCors(a.headers, opts.corsConfigured));
    res.end(a.body ?? undefined);
  }

  function listener(fallback: RequestListener): RequestListener {
    return function homepageFirst(req, res) {
      const platform = homepagePlatform(req);
      if (platform === false) return fallback(req, res);
      void serve(req, res, platform, fallback);
    };
  }

  return { listener };
}

/** A refusal (429 over the per-IP limit, 503 with the gateway full) as the chain words it. */
function refused(opts: FastHomepageOptions, err: HttpError, r: { limit: number; left: { remaining: number; resetSeconds: number } | undefined; requestId: string; startedAt: number }): FastAnswer {
  opts.observe('/v1/homepage', 'GET', err.status, r.startedAt);
  // A 429 has no requests left; a 503 still counted this one.
  return errorAnswer(err, { requestId: r.requestId, path: '/v1/homepage', log: opts.log }, rateLimitHeaders(r.limit, r.left ?? refusedLeft(err)));
}

/** `?platform=` of a GET /v1/homepage (undefined when absent), or false for any other request. */
function homepagePlatform(req: IncomingMessage): string | undefined | false {
  const url = req.url ?? '';
  if (req.method !== 'GET' || !url.startsWith('/v1/homepage')) return false;
  if (url.length === '/v1/homepage'.length) return undefined;
  if (url['/v1/homepage'.length] !== '?') return false;
  return new URLSearchParams(url.slice('/v1/homepage?'.length)).get('platform') ?? undefined;
}

/** A page's bytes, compressed when asked. */
function bodyOf(json: string, encoding: Encoding | undefined): Uint8Array {
  const plain = Buffer.from(json);
  return encoding ? compressSync(encoding, plain) : plain;
}
