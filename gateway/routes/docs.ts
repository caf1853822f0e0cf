// The API reference at /docs: Swagger UI (the swagger-ui-dist package, served from this
// process, nothing fetched from elsewhere) reading /openapi.json. Its files sit under a
// path with the package's version, so they can be cached for good.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import type { GatewayEnv } from '../env.ts';

const require = createRequire(import.meta.url);
const dist = dirname(require.resolve('swagger-ui-dist/package.json'));
const version = (JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as { version: string }).version;
const base = `/docs/assets/${version}`;

/** The page's own start-up script (a file, not inline, so a strict CSP can forbid inline scripts). */
const init = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true, tryItOutEnabled: true, persistAuthorization: true });\n`;

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shop API reference</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`;

const assets = new Map<string, { body: string; type: string }>();
const asset = (name: string) => {
  let a = assets.get(name);
  if (!a) {
    a = name === 'init.js'
      ? { body: init, type: 'text/javascript; charset=utf-8' }
      : { body: readFileSync(join(dist, name), 'utf8'), type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' };
    assets.set(name, a);
  }
  return a;
};

export function docsRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get('/docs', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    // The store's pages carry these; the reference did not, so any site could frame it
    // (its Try-it-out keeps an operator's admin token) under a decoy. Only framing is
    // restricted: Swagger UI's own scripts and styles stay as they are.
    c.header('Content-Security-Policy', "frame-ancestors 'none'");
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    return c.html(page);
  });
  app.get(`${base}/:file{swagger-ui\\.css|swagger-ui-bundle\\.js|init\\.js}`, (c) => {
    const a = asset(c.req.param('file'));
    c.header('Content-Type', a.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(a.body);
  });
  return app;
}
