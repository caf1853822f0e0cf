// The cart's two busiest calls, GET /v1/cart and POST /v1/cart/items, ahead of the general
// middleware chain, as the homepage is (homepage-fast.ts). In bench:http's cart scenario a
// quarter of the gateway's time per request went to what every route pays: a fetch Request
// and Response per request from the Node adapter, Hono's router and a dozen async
// middleware layers. Here a request the chain would serve the same way is answered with
// Node's own request and response, keeping what the chain does for it: the request id, the
// bound on requests in progress, the client address and the per-IP limit with its headers,
// the body's limits and validation, metrics, compression, the CORS headers when CORS is
// configured, and errors worded as onError words them.
//
// Served here only when the gateway's live-session cache vouches for the token (the same
// answer `authenticate` would take from it) and nothing asks for what only the chain does:
// a POST with an Idempotency-Key, a cross-origin request when CORS is configured, a body
// that is not declared JSON with a length. Anything else goes to the chain untouched. An
// app used without Node's server (app.request() in tests) has the chain answer everything.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { CartApi } from '../../actors/cart/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import { addressOf } from '../client-ip.ts';
import { isJsonType, maxBodyBytes, parseJsonBody, readIncoming } from '../body.ts';
import { check } from '../validate.ts';
import { addCartItemBody } from '../schemas.ts';
import { NodeRequest, errorAnswer, jsonAnswer, vouchedUser, withCors, type FastAnswer } from '../fast-lane.ts';
import { rateLimitHeaders, refusedLeft, type BatchedWindowLimiter } from '../rate-limit.ts';
import type { Shedder } from '../shedding.ts';
import { compress, encodingFor, minCompressBytes } from '../representation.ts';

export interface FastCartOptions {
  limiter: BatchedWindowLimiter;
  /** The chain's bound on requests in progress. */
  shedder: Pick<Shedder, 'take' | 'release'>;
  /** Records the request in shop_http_* like the metrics middleware does. */
  observe(route: string, method: string, status: number, startedAt: number): void;
  /** Requests answered here, by route. */
  served: Counter<'route'>;
  corsConfigured: boolean;
  log: Logger;
}

type CartCall = 'get' | 'add';

const routeOf: Record<CartCall, string> = { get: '/v1/cart', add: '/v1/cart/items' };

/** The call a request is, when it is one of the two served here. */
function callOf(req: IncomingMessage): CartCall | undefined {
  if (req.url === '/v1/cart') return req.method === 'GET' ? 'get' : undefined;
  if (req.url === '/v1/cart/items') return req.method === 'POST' ? 'add' : undefined;
  return undefined;
}

/** Whether the chain must answer: something only it does, or a body it limits as it reads. */
function chainOnly(r: NodeRequest, call: CartCall, corsConfigured: boolean): boolean {
  if (corsConfigured && r.header('origin') !== undefined) return true;
  if (call === 'get') return false;
  const length = r.header('content-length');
  return r.header('idempotency-key') !== undefined || !isJsonType(r.header('content-type'))
    || length === undefined || !(Number(length) <= maxBodyBytes) || r.header('transfer-encoding') !== undefined;
}

export interface FastCart {
  /** Node's request listener: the two calls answered here, everything else by `fallback`. */
  listener(fallback: RequestListener): RequestListener;
}

export function fastCart(deps: GatewayDeps, opts: FastCartOptions): FastCart {
  const carts = new CartApi(deps.client).asJson;
  const limit = deps.limits.perIpPerSec;
  // The counter's label children, made once: no label object per request.
  const served = { get: opts.served.labels({ route: routeOf.get }), add: opts.served.labels({ route: routeOf.add }) };

  /** The cart as JSON text after the call, or the error the route would throw. */
  async function perform(r: NodeRequest, call: CartCall, userId: string): Promise<string> {
    if (call === 'get') return carts.get(userId);
    const input = check(addCartItemBody, parseJsonBody(await readIncoming(r.req)));
    return carts.add(userId, input.sku, input.qty);
  }

  /** The answer to a call the chain would serve the same way; never throws. */
  async function answer(r: NodeRequest, call: CartCall, userId: string): Promise<FastAnswer> {
    const requestId = r.header('x-request-id')?.slice(0, 128) || randomUUID();
    const context = { requestId, path: routeOf[call], log: opts.log };
    // In the chain's order: the bound on requests in progress, then the per-IP limit.
    try {
      opts.shedder.take();
    } catch (err) {
      return errorAnswer(err, context);
    }
    let limitHeaders: Record<string, string> = {};
    try {
      const ip = addressOf(r.header('x-forwarded-for'), r, deps.limits.trustProxy);
      try {
        limitHeaders = rateLimitHeaders(limit, opts.limiter.enforce(`ip:${ip}`, limit, 'requests from this address'));
      } catch (err) {
        if (err instanceof HttpError && err.status === 429) limitHeaders = rateLimitHeaders(limit, refusedLeft(err));
        throw err;
      }
      const text = await perform(r, call, userId);
      return await cartAnswer(text, r.header('accept-encoding'), { ...limitHeaders, 'X-Request-Id': requestId });
    } catch (err) {
      return errorAnswer(err, context, limitHeaders);
    } finally {
      opts.shedder.release();
    }
  }

  // No closures made per request: tsx compiles with keepNames, so each one costs an
  // Object.defineProperty (esbuild's __name).
  async function serve(r: NodeRequest, res: ServerResponse, call: CartCall, userId: string): Promise<void> {
    const startedAt = performance.now();
    const a = await answer(r, call, userId);
    served[call].inc();
    opts.observe(routeOf[call], r.req.method ?? 'GET', a.status, startedAt);
    try {
      res.writeHead(a.status, withCors(a.headers, opts.corsConfigured));
      res.end(a.body ?? undefined);
    } catch (err) {
      // The connection went away meanwhile: nothing is left to tell the client.
      opts.log.warn({ err: String(err), path: routeOf[call] }, 'cart answer could not be written');
      res.destroy();
    }
  }

  function listener(fallback: RequestListener): RequestListener {
    return function cartFirst(req, res) {
      const call = callOf(req);
      if (call === undefined) return fallback(req, res);
      const r = new NodeRequest(req);
      const authorization = r.header('authorization');
      const userId = authorization === undefined ? undefined : vouchedUser(deps, authorization);
      if (userId === undefined || chainOnly(r, call, opts.corsConfigured)) return fallback(req, res);
      void serve(r, res, call, userId);
    };
  }

  return { listener };
}

/** A cart as the chain's representation sends it: compressed when asked and worth it. */
async function cartAnswer(text: string, acceptEncoding: string | undefined, headers: Record<string, string>): Promise<FastAnswer> {
  const encoding = encodingFor(acceptEncoding);
  if (!encoding) return jsonAnswer(200, headers, text);
  if (text.length < minCompressBytes) return jsonAnswer(200, { ...headers, Vary: 'Accept-Encoding' }, text);
  const body = await compress(encoding, text);
  return {
    status: 200,
    headers: { ...headers, Vary: 'Accept-Encoding', 'Content-Type': 'application/json', 'Content-Encoding': encoding, 'Content-Length': String(body.byteLength) },
    body,
  };
}
