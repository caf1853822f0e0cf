// The storefront and operator dashboard routes: one server-rendered shell per page, and
// the hashed assets with a year-long immutable cache and precompressed bodies.
import { Hono, type Context } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { GatewayEnv } from '../gateway/env.ts';
import { etagMatches } from '../gateway/representation.ts';
import { assets } from './assets.ts';
import { notFoundPage, storePages } from './pages.ts';
import { adminShell, contentSecurityPolicy, storeShell } from './shell.ts';

function pageHeaders(c: Context<GatewayEnv>): void {
  c.header('Cache-Control', 'no-cache');
  c.header('Content-Security-Policy', contentSecurityPolicy);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
}

async function page(c: Context<GatewayEnv>, markup: HtmlEscapedString | Promise<HtmlEscapedString>) {
  pageHeaders(c);
  return c.html(await markup);
}

/** Picks the best encoding the client accepts among the ones we hold. */
function encodingFor(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (!accept) return undefined;
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

/** Whether a request nothing answered is a browser asking for a page (not an API call). */
export function wantsStorePage(c: Context<GatewayEnv>): boolean {
  return c.req.method === 'GET' && !c.req.path.startsWith('/v1/') && namesHtml(c.req.header('accept') ?? '');
}

/** Whether an Accept header names text/html and does not refuse it (`text/html;q=0`). */
function namesHtml(accept: string): boolean {
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.replace(/\s/g, '').toLowerCase());
    return type === 'text/html' && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * The store's "Page not found" with the store's header (search, cart, categories): a
 * shopper following a stale link or a mistyped address read the API's
 * `{"error":{"code":"not_found","message":"no route GET /…"}}` instead.
 */
export async function storeNotFound(c: Context<GatewayEnv>): Promise<Response> {
  pageHeaders(c);
  return c.html(await storeShell(await assets(), notFoundPage.page, notFoundPage.title, notFoundPage.body), 404);
}

/**
 * A page's form sent to the page itself, before its script had taken the form (pages.ts):
 * the page again (303 to its GET), the fields unread, rather than the API's 405 JSON.
 */
function pageAgain(c: Context<GatewayEnv>): Response {
  const url = new URL(c.req.url);
  return c.redirect(url.pathname + url.search, 303);
}

export function webRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get('/assets/:file', async (c) => {
    const a = (await assets()).byFile.get(c.req.param('file'));
    if (!a) return c.json({ error: { code: 'not_found', message: 'no such asset', details: null, requestId: c.get('requestId') } }, 404);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('Content-Type', a.type);
    c.header('ETag', a.etag);
    c.header('Vary', 'Accept-Encoding');
    c.header('X-Content-Type-Options', 'nosniff');
    if (etagMatches(c.req.header('if-none-match'), a.etag)) return c.body(null, 304);
    const enc = encodingFor(c.req.header('accept-encoding'));
    if (enc) c.header('Content-Encoding', enc);
    const body = enc === 'br' ? a.br : enc === 'gzip' ? a.gzip : a.body;
    return c.body(body);
  });
  app.get('/favicon.ico', async (c) => c.redirect((await assets()).url('icon.svg'), 301));

  for (const p of storePages) {
    app.get(p.path, async (c) => page(c, storeShell(await assets(), p.page, p.title, p.body)));
    app.post(p.path, pageAgain);
  }
  app.get('/admin', async (c) => page(c, adminShell(await assets())));
  app.post('/admin', pageAgain);
  return app;
}
