// The compiled app (app/build.ts): what every app process runs, so a stale or wrongly
// built bundle would test and serve other code than the checkout holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, utimesSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { appBundle, appBundleIsCurrent, buildApp } from '../app/build.ts';
import { root } from './support/harness.ts';

test('a source saved after the build makes it stale; the next start rebuilds it', () => {
  buildApp();
  assert.ok(appBundleIsCurrent(), 'current right after a build');
  const source = join(root, 'cluster', 'wire.ts');
  const now = new Date();
  utimesSync(source, now, now);
  assert.not.ok(appBundleIsCurrent(), 'a module saved since is seen');
  assert.ok(buildApp().built, 'rebuilt');
  assert.ok(appBundleIsCurrent());
  assert.not.ok(buildApp().built, 'not rebuilt again while current');
});

test('the bundle holds this checkout\'s modules and imports the packages', () => {
  const code = readFileSync(appBundle, 'utf8');
  // The reason for the build: no run-time naming of every function made (esbuild's keepNames).
  assert.not.ok(code.includes('__name('), 'no __name helper');
  assert.match(code, /from "nats"/, 'packages stay imports, resolved from node_modules');
  assert.not.match(code, /from "\.{1,2}\//, 'no relative import left to resolve from dist/');
  assert.match(code, /\/\/# sourceMappingURL=app\.mjs\.map\s*$/, 'stack traces can name the TypeScript files');
});

test('its source map leads a stack frame back to the TypeScript file and line', () => {
  buildApp();
  const lines = readFileSync(appBundle, 'utf8').split('\n');
  const generated = lines.findIndex((l) => l.startsWith('var ClusterError = class'));
  assert.ok(generated >= 0, 'ClusterError is in the bundle');
  const map = new SourceMap(JSON.parse(readFileSync(`${appBundle}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  const entry = map.findEntry(generated, 0) as { originalSource?: string; originalLine?: number };
  assert.is(resolve(dirname(appBundle), entry.originalSource ?? ''), join(root, 'cluster', 'errors.ts'));
  const declared = readFileSync(join(root, 'cluster', 'errors.ts'), 'utf8').split('\n').findIndex((l) => l.startsWith('export class ClusterError'));
  assert.is(entry.originalLine, declared, 'the line of its declaration (0-based on both sides)');
});

test.run();
