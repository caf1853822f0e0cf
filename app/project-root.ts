// The checkout's root directory (the one holding package.json), for files read at run time:
// the migrations, the storefront's sources, the version. Found by walking up from this
// module rather than by a fixed number of `..`, because the same code runs from its source
// (app/, stores/mysql/, web/) and bundled into dist/app.mjs (app/build.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function rootAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const projectRoot: string = rootAbove(dirname(fileURLToPath(import.meta.url)));
