// Saves a bench's result as JSON under bench/results/ (ignored by git) with what is needed
// to compare runs later: the git commit, Node version, CPU count, the command line and how
// the app processes ran (compiled, or the TypeScript through tsx: APP_FROM_SOURCE=1).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { root } from '../../test/support/harness.ts';

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export interface SavedMeta {
  bench: string;
  at: string;
  commit: string;
  node: string;
  cpus: number;
  argv: string[];
  /** How the app processes this bench started ran: dist/app.mjs, or through tsx. */
  app: 'compiled' | 'source';
}

/**
 * The arguments with secrets left out: an admin token, and a password in a database URL,
 * would otherwise be kept in the file and printed by bench:compare.
 */
export function redactedArgs(argv: string[]): string[] {
  return argv.map((arg, i) => {
    if (argv[i - 1] === '--admin-token') return '<redacted>';
    if (arg.startsWith('--admin-token=')) return '--admin-token=<redacted>';
    return arg.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]*@/gi, '$1<redacted>@');
  });
}

/** Writes `{meta, result}` to bench/results/<bench>-<time>.json; returns the path. */
export function saveResult(bench: string, result: unknown): string {
  const meta: SavedMeta = {
    bench, at: new Date().toISOString(), commit: gitCommit(), node: process.version, cpus: cpus().length, argv: redactedArgs(process.argv.slice(2)),
    app: process.env.APP_FROM_SOURCE === '1' ? 'source' : 'compiled',
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${bench}-${meta.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ meta, result }, null, 2)}\n`);
  process.stderr.write(`[${bench}] saved ${file}\n`);
  return file;
}
