// The bootstrap's "are the npm dependencies installed?" check: by what is installed, not by
// file times. Judged by times, a fresh clone (a package-lock.json newer than the install)
// ran `npm ci`, which empties node_modules first, and with node_modules linked to another
// checkout's install it emptied that one under every process using it.
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dependenciesCurrent } from '../scripts/dependencies.mjs';

const lock = {
  name: 'shop', lockfileVersion: 3,
  packages: {
    '': { name: 'shop', dependencies: { a: '^1.0.0' } },
    'node_modules/a': { version: '1.2.0' },
    'node_modules/b': { version: '2.0.0', dev: true },
    'node_modules/@esbuild/darwin-arm64': { version: '0.28.2', optional: true },
  },
};

function project(installed: Record<string, { version: string }> | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'shop-deps-'));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
  if (installed) {
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), JSON.stringify({ name: 'shop', lockfileVersion: 3, packages: installed }));
    // The install is older than the lockfile, as after a fresh clone of the same lockfile.
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(dir, 'node_modules', '.package-lock.json'), old, old);
  }
  return dir;
}

test('an install matching the lockfile is current even when the lockfile is newer (a fresh clone)', () => {
  const dir = project({ 'node_modules/a': { version: '1.2.0' }, 'node_modules/b': { version: '2.0.0' } });
  try {
    assert.ok(dependenciesCurrent(dir));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a package missing or at another version than the lockfile says is not current; an optional one for another platform may be missing', () => {
  const dirs = [
    project(undefined),
    project({ 'node_modules/a': { version: '1.2.0' } }),
    project({ 'node_modules/a': { version: '1.1.0' }, 'node_modules/b': { version: '2.0.0' } }),
  ];
  try {
    assert.equal(dirs.map((d) => dependenciesCurrent(d)), [false, false, false]);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true });
  }
});

test.run();
