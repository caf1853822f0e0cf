// Versioned static assets for the storefront: every file is served under a content-hashed
// name (app.js → app.3f2a9c1b0d.js) with `Cache-Control: public, max-age=31536000,
// immutable`, so browsers and CDNs keep it for a year and a new build is new URLs.
// Files are held in memory (a storefront's assets are small); pages link to url(name).
//
// @example
//   const assets = staticAssets(loadAssetDir(new URL('./public', import.meta.url).pathname));
//   app.route('/', assets.routes());
//   html`<script src="${assets.url('app.js')}"></script>`   // → /assets/app.3f2a9c1b0d.js
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { Hono } from 'hono';

export const immutableCacheControl = 'public, max-age=31536000, immutable';

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

/** `dir/a/b.css` → `a/b.<10 hex of sha256>.css`. */
export function hashedName(name: string, content: Buffer | string): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}.${hash}${ext}`;
}

/** Every file under `dir` (recursively), by its path relative to `dir` with / separators. */
export function loadAssetDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.set(relative(dir, full).split('\\').join('/'), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

export interface StaticAssets {
  /** The hashed URL of a file by its logical name; throws for a name that is not an asset (a typo should fail loudly). */
  url(name: string): string;
  /** Logical name → hashed URL, for templates or a client that loads assets itself. */
  manifest(): Record<string, string>;
  /** GET <prefix>/<hashed name>: the file, immutable; anything else under the prefix is 404. */
  routes(): Hono;
}

export function staticAssets(files: Map<string, Buffer | string>, prefix = '/assets'): StaticAssets {
  const byHashed = new Map<string, { body: Buffer; type: string; etag: string }>();
  const urls = new Map<string, string>();
  for (const [name, content] of files) {
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const hashed = hashedName(name, body);
    byHashed.set(hashed, { body, type: types[extname(name).toLowerCase()] ?? 'application/octet-stream', etag: `"${hashed}"` });
    urls.set(name, `${prefix}/${hashed}`);
  }
  return {
    url(name) {
      const u = urls.get(name);
      if (!u) throw new Error(`no static asset named "${name}"`);
      return u;
    },
    manifest: () => Object.fromEntries(urls),
    routes() {
      const app = new Hono();
      app.get(`${prefix}/*`, (c) => {
        const file = byHashed.get(c.req.path.slice(prefix.length + 1));
        if (!file) return c.json({ error: { code: 'not_found', message: 'no such asset (asset names change with their content)' } }, 404);
        const headers = { 'Content-Type': file.type, 'Cache-Control': immutableCacheControl, ETag: file.etag };
        if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, headers);
        return c.body(new Uint8Array(file.body), 200, headers);
      });
      return app;
    },
  };
}
