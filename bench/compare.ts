// bench:compare — the differences between two saved bench results (bench/results/*.json):
// every number present in both, side by side with the change in percent.
//   npm run bench:compare -- bench/results/A.json bench/results/B.json
//   npm run bench:compare -- flash-sale-http      (the two newest results of that bench)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../test/support/harness.ts';

const resultsDir = join(root, 'bench', 'results');
// `… | head` closes the pipe early: stop quietly, as other tools do, not with an EPIPE stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

function flatten(value: unknown, prefix: string, out: Map<string, number | string>): void {
  if (typeof value === 'number') out.set(prefix, value);
  else if (typeof value === 'string' && prefix.startsWith('meta.')) out.set(prefix, value);
  else if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${(v as { scenario?: string })?.scenario ?? i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

/**
 * A saved result's numbers. Whatever else is given (a missing file, a directory, a file
 * that is not JSON or not a saved result) is refused naming the file: a missing one said
 * only "ENOENT", a broken one a JSON position without the file, and any other JSON file
 * (package.json) was "compared" as if it were a run.
 */
function load(path: string): Map<string, number | string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a saved result' : (err as Error).message}`);
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message}); give two saved results (${resultsDir}/*.json)`);
  }
  const meta = (saved as { meta?: { bench?: unknown } } | null)?.meta;
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved) || typeof meta?.bench !== 'string' || !('result' in saved)) {
    throw new Error(`${path}: not a saved bench result (no meta.bench and result); give two of ${resultsDir}/*.json`);
  }
  const out = new Map<string, number | string>();
  flatten(saved, '', out);
  return out;
}

function pick(args: string[]): [string, string] {
  if (args.length === 2) return [args[0]!, args[1]!];
  if (args.length === 1 && !args[0]!.endsWith('.json') && !args[0]!.startsWith('-')) {
    if (!existsSync(resultsDir)) throw new Error(`no saved results yet: run a bench first (they save to ${resultsDir})`);
    const files = readdirSync(resultsDir).filter((f) => f.startsWith(`${args[0]}-`) && f.endsWith('.json')).sort();
    if (files.length < 2) throw new Error(`fewer than two saved results of ${args[0]} in ${resultsDir}`);
    return [join(resultsDir, files.at(-2)!), join(resultsDir, files.at(-1)!)];
  }
  throw new Error('usage: bench:compare A.json B.json | bench:compare <bench name>');
}

try {
  const [a, b] = pick(process.argv.slice(2));
  const A = load(a);
  const B = load(b);
  process.stdout.write(`A: ${a}\nB: ${b}\n\n`);
  const keys = [...new Set([...A.keys(), ...B.keys()])];
  const width = Math.max(...keys.map((k) => k.length), 6);
  process.stdout.write(`${'metric'.padEnd(width)}  ${'A'.padStart(14)}  ${'B'.padStart(14)}  ${'change'.padStart(9)}\n`);
  for (const k of keys) {
    const x = A.get(k);
    const y = B.get(k);
    let change = '';
    if (typeof x === 'number' && typeof y === 'number') change = x === 0 ? (y === 0 ? '0%' : 'new') : `${(((y - x) / Math.abs(x)) * 100).toFixed(1)}%`;
    else if (x !== y) change = 'differs';
    process.stdout.write(`${k.padEnd(width)}  ${String(x ?? '-').padStart(14)}  ${String(y ?? '-').padStart(14)}  ${change.padStart(9)}\n`);
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
