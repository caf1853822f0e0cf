// `npm run bench:compare -- A B` given something other than two saved results: one line
// naming the file and what is wrong with it, exit 2, never a stack trace and never a
// "comparison" of a file that is not a bench result.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from './support/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'shop-compare-'));
const saved = join(dir, 'http-a.json');
writeFileSync(saved, JSON.stringify({ meta: { bench: 'http', commit: 'abc' }, result: { hello: { perSec: 100 } } }));
const other = join(dir, 'http-b.json');
writeFileSync(other, JSON.stringify({ meta: { bench: 'http', commit: 'def' }, result: { hello: { perSec: 110 } } }));
const broken = join(dir, 'broken.json');
writeFileSync(broken, '{"meta":');

function compare(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/compare.ts'), ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test.after(() => rmSync(dir, { recursive: true }));

test('two saved results: every number side by side with its change', async () => {
  const r = await compare(saved, other);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /result\.hello\.perSec\s+100\s+110\s+10\.0%/);
});

for (const [what, file, line] of [
  ['a missing file', join(dir, 'nope.json'), /: no such file$/],
  ['a file that is not JSON', broken, /broken\.json: not JSON \(/],
  ['a JSON file that is not a saved result', join(root, 'package.json'), /package\.json: not a saved bench result \(no meta\.bench and result\)/],
  ['a directory', dir, /: a directory, not a saved result$/],
] as const) {
  test(`${what}: one line naming the file, exit 2, no stack trace`, async () => {
    const r = await compare(file, saved);
    assert.is(r.code, 2, r.out + r.err);
    assert.is(r.out, '', 'nothing compared');
    assert.match(r.err.trim(), line);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

test.run();
