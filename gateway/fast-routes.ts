// A lane of routes answered ahead of the middleware chain (the cart's read and add, placing
// and paying an order): a quarter of the gateway's time per request went to what every
// route pays there, a fetch Request and Response from the Node adapter, Hono's router and a
// dozen async middleware layers. A lane answers the requests the chain would serve the same
// way with Node's own request and response, keeping what the chain does for them: the
// request id, the bound on requests in progress, the client address and the per-IP limit
// with its headers, the body's limits and validation, metrics, compression, the CORS headers
// when CORS is configured, and errors worded as onError words them.
//
// A lane serves a request only when the gateway's live-session cache vouches for its token
// (the answer `authenticate` would take from it) and nothing asks for what only the chain
// does: a POST with an Idempotency-Key, a cross-origin request when CORS is configured, a
// body not declared JSON with a length. Anything else goes to the chain untouched, as does
// everything in an app used without Node's server (app.request() in tests).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { GatewayDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { addressOf, limitedAs } from './client-ip.ts';
import { isJsonType, maxBodyBytes } from './body.ts';
import { NodeRequest, errorAnswer, jsonAnswer, vouchedUser, withCors, type FastAnswer } from './fast-lane.ts';
import { rateLimitHeaders, refusedLeft, type BatchedWindowLimiter } from './rate-limit.ts';
import type { Shedder } from './shedding.ts';
import { compress, encodingFor, minCompressBytes } from './representation.ts';
import { requestIdOf } from './request-id.ts';

export interface FastLaneOptions {
  limiter: BatchedWindowLimiter;
  /** The chain's bound on requests in progress. */
  shedder: Pick<Shedder, 'take' | 'release'>;
  /** Records the request in shop_http_* like the metrics middleware does. */
  observe(route: string, method: string, status: number, startedAt: number): void;
  /** Requests answered ahead of the chain, by route. */
  served: Counter<'route'>;
  corsConfigured: boolean;
  log: Logger;
}

/** A call's answer before representation: its status and JSON text. */
export interface JsonOutcome { status: number; json: string }

/** The calls of one lane. */
export interface FastRoutes<Call extends string> {
  /** Each call's route pattern as the chain's metrics name it. */
  readonly route: Readonly<Record<Call, string>>;
  /** Calls with a JSON body (the others are read-only). */
  readonly withBody: Readonly<Record<Call, boolean>>;
  /** The call a request is, when this lane serves it. */
  callOf(req: IncomingMessage): Call | undefined;
  /** The answer, or throws what the chain's route would throw. */
  perform(r: NodeRequest, call: Call, userId: string): Promise<JsonOutcome>;
}

export interface FastLane {
  /** Node's request listener: this lane's calls answered here, everything else by `fallback`. */
  listener(fallback: RequestListener): RequestListener;
}

export function fastLane<Call extends string>(deps: GatewayDeps, opts: FastLaneOptions, routes: FastRoutes<Call>): FastLane {
  const limit = deps.limits.perIpPerSec;
  // The counter's label children, made once: no label object per request.
  const served = new Map<Call, { inc(): void }>();
  for (const call of Object.keys(routes.route) as Call[]) served.set(call, opts.served.labels({ route: routes.route[call] }));

  /** Whether the chain must answer: something only it does, or a body it limits as it reads. */
  function chainOnly(r: NodeRequest, call: Call): boolean {
    if (opts.corsConfigured && r.header('origin') !== undefined) return true;
    if (!routes.withBody[call]) return false;
    const length = r.header('content-length');
    return r.header('idempotency-key') !== undefined || !isJsonType(r.header('content-type'))
      || length === undefined || !(Number(length) <= maxBodyBytes) || r.header('transfer-encoding') !== undefined;
  }

  /** The answer to a call the chain would serve the same way; never throws. */
  async function answer(r: NodeRequest, call: Call, userId: string): Promise<FastAnswer> {
    const requestId = requestIdOf(r.header('x-request-id'));
    const context = { requestId, path: routes.route[call], log: opts.log };
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
        limitHeaders = rateLimitHeaders(limit, opts.limiter.enforce(`ip:${limitedAs(ip)}`, limit, 'requests from this address'));
      } catch (err) {
        if (err instanceof HttpError && err.status === 429) limitHeaders = rateLimitHeaders(limit, refusedLeft(err));
        throw err;
      }
      const outcome = await routes.perform(r, call, userId);
      return await represented(outcome, r.header('accept-encoding'), { ...limitHeaders, 'X-Request-Id': requestId });
    } catch (err) {
      return errorAnswer(err, context, limitHeaders);
    } finally {
      opts.shedder.release();
    }
  }

  // No closures made per request: run through tsx (APP_FROM_SOURCE=1), which compiles with
  // keepNames, each would cost an Object.defineProperty (esbuild's __name) besides itself.
  async function serve(r: NodeRequest, res: ServerResponse, call: Call, userId: string): Promise<void> {
    const startedAt = performance.now();
    const a = await answer(r, call, userId);
    served.get(call)!.inc();
    opts.observe(routes.route[call], r.req.method ?? 'GET', a.status, startedAt);
    try {
      // Always a signed-in user's answer: no cache may keep it, as the chain says (app.ts).
      // Put in the answer's own headers (made for this answer): a setHeader before
      // writeHead would take Node's slower path of merging two sets of headers.
      a.headers['Cache-Control'] = 'no-store';
      res.writeHead(a.status, withCors(a.headers, opts.corsConfigured));
      res.end(a.body ?? undefined);
    } catch (err) {
      // The connection went away meanwhile: nothing is left to tell the client.
      opts.log.warn({ err: String(err), path: routes.route[call] }, 'fast lane answer could not be written');
      res.destroy();
    }
  }

  function listener(fallback: RequestListener): RequestListener {
    return function laneFirst(req, res) {
      const call = routes.callOf(req);
      if (call === undefined) return fallback(req, res);
      const r = new NodeRequest(req);
      const authorization = r.header('authorization');
      const userId = authorization === undefined ? undefined : vouchedUser(deps, authorization);
      if (userId === undefined || chainOnly(r, call)) return fallback(req, res);
      void serve(r, res, call, userId);
    };
  }

  return { listener };
}

/**
 * A JSON answer as the chain's representation middleware sends it: a 200 compressed when
 * asked and worth it (with Vary whenever asked), any other status as it is.
 */
async function represented(outcome: JsonOutcome, acceptEncoding: string | undefined, headers: Record<string, string>): Promise<FastAnswer> {
  const { status, json } = outcome;
  const encoding = status === 200 ? encodingFor(acceptEncoding) : undefined;
  if (!encoding) return jsonAnswer(status, headers, json);
  if (json.length < minCompressBytes) return jsonAnswer(status, { ...headers, Vary: 'Accept-Encoding' }, json);
  const body = await compress(encoding, json);
  return {
    status,
    headers: { ...headers, Vary: 'Accept-Encoding', 'Content-Type': 'application/json', 'Content-Encoding': encoding, 'Content-Length': String(body.byteLength) },
    body,
  };
}
