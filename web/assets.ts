// The storefront's static assets: the two client bundles (built from web/client with
// esbuild), the stylesheet and the icon, each named by a hash of its content so browsers
// may keep them forever, with gzip and brotli copies made once at build time.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, stop, transform } from 'esbuild';
import { projectRoot } from '../app/project-root.ts';

const here = join(projectRoot, 'web');

/** The assets pages refer to by their logical names. */
export type AssetName = 'store.js' | 'admin.js' | 'app.css' | 'icon.svg';

/** Bytes on their own ArrayBuffer, which Hono's c.body takes as they are. */
type Bytes = Uint8Array<ArrayBuffer>;
const own = (b: Buffer): Bytes => new Uint8Array(b);

export interface Asset {
  /** The hashed file name, e.g. `store.3f2a9c1b0e.js`. */
  file: string;
  type: string;
  body: Bytes;
  gzip: Bytes;
  br: Bytes;
  etag: string;
}

export interface AssetSet {
  byFile: Map<string, Asset>;
  /** The URL of a logical asset: `/assets/<hashed file>`. */
  url(name: AssetName): string;
}

const icon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f5f5b"/><path d="M9 12h14l-1.6 11.2a2 2 0 0 1-2 1.8h-6.8a2 2 0 0 1-2-1.8z" fill="#f4efe6"/><path d="M12.5 12a3.5 3.5 0 0 1 7 0" stroke="#f4efe6" stroke-width="2" fill="none"/></svg>`;

const types: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

function asset(name: AssetName, content: string): Asset {
  const body = Buffer.from(content);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  const ext = name.slice(dot + 1);
  return {
    file: `${name.slice(0, dot)}.${hash}.${ext}`,
    type: types[ext] ?? 'application/octet-stream',
    body: own(body),
    gzip: own(gzipSync(body, { level: 9 })),
    br: own(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
    etag: `"${hash}"`,
  };
}

async function buildAll(): Promise<AssetSet> {
  try {
    const bundles = await build({
      entryPoints: { store: join(here, 'client', 'store.ts'), admin: join(here, 'client', 'admin.ts') },
      bundle: true, format: 'esm', target: 'es2020', minify: true, write: false, outdir: '/out', legalComments: 'none', logLevel: 'silent',
    });
    const js = (name: string) => bundles.outputFiles.find((f) => f.path === `/out/${name}`)?.text ?? '';
    const css = await transform(await readFile(join(here, 'styles', 'app.css'), 'utf8'), { loader: 'css', minify: true });
    const list = [asset('store.js', js('store.js')), asset('admin.js', js('admin.js')), asset('app.css', css.code), asset('icon.svg', icon)];
    const logical = new Map<AssetName, Asset>([['store.js', list[0]!], ['admin.js', list[1]!], ['app.css', list[2]!], ['icon.svg', list[3]!]]);
    return {
      byFile: new Map(list.map((a) => [a.file, a])),
      url: (name) => `/assets/${logical.get(name)!.file}`,
    };
  } finally {
    // esbuild keeps a helper process for further builds; there are none.
    await stop();
  }
}

let built: Promise<AssetSet> | undefined;

/**
 * How long a failed build is answered from memory before it is tried again: every page and
 * every browser's 404 needs the assets, and a build per request (an esbuild process each)
 * with the sources missing or broken would spend the gateway's CPU on failing.
 */
const retryBuildAfterMs = 10_000;

/** Builds the assets on first use (a gateway that serves only the API never pays for it). */
export function assets(): Promise<AssetSet> {
  built ??= buildAll().catch((err: unknown) => {
    setTimeout(() => (built = undefined), retryBuildAfterMs).unref();
    throw err;
  });
  return built;
}
