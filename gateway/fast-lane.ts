// What the handlers ahead of the middleware chain share (the homepage, the cart's read and
// add): Node's request as they read it, the user a token names when the gateway's
// live-session cache vouches for it, and answers worded exactly as the chain's error
// handler words them. A fast handler answers what it can the way the chain would, and
// hands anything else to the chain untouched.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayDeps } from './deps.ts';
import { bearer } from './auth.ts';
import { toHttp } from './errors.ts';
import { exposed } from './cors.ts';
import { hashToken, looksLikeToken } from '../actors/session/index.ts';

/** An answer's status, headers and body: JSON text, compressed bytes, or none. */
export interface FastAnswer { status: number; headers: Record<string, string>; body: string | Uint8Array | null }

/** What a fast handler reads of a request Node's server delivered. */
export class NodeRequest {
  constructor(readonly req: IncomingMessage) {}

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  peer(): string | undefined {
    return this.req.socket.remoteAddress;
  }
}

/**
 * The user whose live session, as this gateway's cache holds it, the Authorization header
 * names: the answer the chain's `authenticate` would take from the same cache. Undefined
 * when the cache cannot vouch (the chain then asks the session entity).
 */
export function vouchedUser(deps: GatewayDeps, authorization: string): string | undefined {
  const token = bearer(authorization);
  if (!token || !looksLikeToken(token)) return undefined;
  return deps.liveSessions?.peek(hashToken(token))?.userId;
}

/**
 * A JSON answer's text and headers. Text rather than bytes: Node's server writes a text
 * body in one piece with the head, bytes as a second buffer of a writev (16.1 against
 * 17.4–22.6 µs of the server's CPU per answer in a scratch measure).
 */
export function jsonAnswer(status: number, headers: Record<string, string>, json: string): FastAnswer {
  return { status, headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(json)) }, body: json };
}

/**
 * Any thrown value as the chain's onError answers it: the status, the body of API.md with
 * the request id, the error's own headers (Retry-After), plus `headers` (the rate-limit
 * ones the chain had already set); a 5xx is logged as there.
 */
export function errorAnswer(err: unknown, r: { requestId: string; path: string; log: Logger }, headers: Record<string, string> = {}): FastAnswer {
  const { status, body, headers: own } = toHttp(err);
  body.error.requestId = r.requestId;
  if (status >= 500) r.log.error({ err, requestId: r.requestId, path: r.path }, 'request failed');
  return jsonAnswer(status, { ...headers, ...own, 'X-Request-Id': r.requestId }, JSON.stringify(body));
}

/**
 * `headers` with what the chain's CORS middleware (hono/cors) adds to an answer to a
 * request without an Origin when CORS is configured: the headers a script may read, and
 * `Origin` at the end of Vary, so no shared cache serves this answer to another origin.
 * A request with an Origin never comes here: the chain answers it.
 */
export function withCors(headers: Record<string, string>, corsConfigured: boolean): Record<string, string> {
  if (!corsConfigured) return headers;
  return { ...headers, 'Access-Control-Expose-Headers': exposed.join(','), Vary: headers.Vary ? `${headers.Vary}, Origin` : 'Origin' };
}
