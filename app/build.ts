// Compiles the app (app/main.ts and every module of this checkout it imports) into one ES
// module, dist/app.mjs, which every app process runs: `npm start`, start:node,
// start:gateway, the Dockerfile, and the processes tests and benches start.
//
// Why not run the TypeScript through tsx, as the tools and tests do: tsx compiles with
// esbuild's keepNames, which wraps every function and class made at run time in a call that
// names it (Object.defineProperty), and the app makes closures on every message. Bundled
// without it, the node spent about a tenth less CPU per order in the HTTP sale, which sold
// 5–7% more orders a second (docs/performance.md, seventeenth session).
//
// `node --import tsx app/build.ts [--force]` builds it when a source is newer than the last
// build (or always, with --force) and prints its path.
import { buildSync } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from './project-root.ts';

const distDir = join(projectRoot, 'dist');
/** The compiled app: `node <flags of app/node-flags.json> dist/app.mjs`. */
export const appBundle = join(distDir, 'app.mjs');
/** The files the last build read, so a later one can tell whether it is still current. */
const inputsFile = join(distDir, 'app.inputs.json');

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether dist/app.mjs was built after the last change to any file it was built from. */
export function appBundleIsCurrent(): boolean {
  const built = mtimeOf(appBundle);
  if (built === undefined) return false;
  let inputs: string[];
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as string[];
  } catch {
    return false;
  }
  // A new module is imported by a changed one, so a changed or missing input is enough to see.
  return inputs.every((input) => {
    const changed = mtimeOf(join(projectRoot, input));
    return changed !== undefined && changed <= built;
  });
}

/**
 * Builds dist/app.mjs unless it is current (or `force`). Synchronous, so the test harness
 * can build before it starts a process. Every file is written under a name of its own and
 * renamed into place, so a process starting meanwhile reads a whole bundle, old or new.
 */
export function buildApp(opts: { force?: boolean } = {}): { path: string; built: boolean } {
  if (!opts.force && appBundleIsCurrent()) return { path: appBundle, built: false };
  mkdirSync(distDir, { recursive: true });
  const started = new Date();
  const result = buildSync({
    absWorkingDir: projectRoot,
    entryPoints: ['app/main.ts'],
    outfile: appBundle,
    bundle: true,
    // npm packages stay imports, resolved from node_modules at run time as before.
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    keepNames: false,
    // Stack traces name the TypeScript files and lines (node runs with --enable-source-maps).
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const temporary = `.${process.pid}.tmp`;
  // The map first, the bundle last: a bundle never points at a map of another build.
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === appBundle) - Number(b.path === appBundle));
  // Besides the modules: what decides how they compile (tsconfig.json: class fields, target)
  // and which packages they import.
  const inputs = [...Object.keys(result.metafile.inputs), 'app/build.ts', 'tsconfig.json', 'package-lock.json'];
  writeFileSync(inputsFile + temporary, JSON.stringify(inputs));
  renameSync(inputsFile + temporary, inputsFile);
  for (const file of files) {
    writeFileSync(file.path + temporary, file.contents);
    renameSync(file.path + temporary, file.path);
  }
  // Dated when its sources were read: a file saved during the build makes it stale.
  utimesSync(appBundle, started, started);
  return { path: appBundle, built: true };
}

// Run as a script, not imported; its own name too, since bundled into a test suite this
// module's URL is the suite's.
if (process.argv[1] && /build\.ts$/.test(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { path, built } = buildApp({ force: process.argv.includes('--force') });
  process.stdout.write(`${path} ${built ? 'built' : 'is current'}\n`);
}
