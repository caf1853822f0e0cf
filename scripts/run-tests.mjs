#!/usr/bin/env node
// Runs each test file in its own process (suites start and kill processes of their own,
// and a crash in one must not take the others down), two at a time, reads uvu's totals
// from each, and ends with the one line CI reads: "N passed, N failed".
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const perFileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS || 300_000);
/** How long a suite may take to exit after uvu printed its summary. */
const lingerMs = 3000;
/**
 * Suites run side by side, TEST_JOBS at a time (default 2). Each has its own database,
 * cluster name, Redis keys, ports and private servers, and most of a fault suite's time is
 * waiting (lease TTLs, expiries, process starts), so two at once take about half as long.
 */
const jobs = Number(process.env.TEST_JOBS || 2);
if (!Number.isInteger(jobs) || jobs < 1) {
  process.stderr.write(`TEST_JOBS: "${process.env.TEST_JOBS}" is not a whole number from 1\n`);
  process.exit(2);
}
/** uvu's closing block, whole: a test printing a line like "Duration: 3ms" is not it. */
const uvuSummary = /\n\s*Total:\s+(\d+)\n\s*Passed:\s+(\d+)\n\s*Skipped:\s+(\d+)\n\s*Duration:\s+[\d.]+ms/g;
/** The counts of the last whole summary block in `text`, if any. */
function lastSummary(text) {
  const blocks = [...text.matchAll(uvuSummary)];
  const last = blocks[blocks.length - 1];
  return last ? { total: Number(last[1]), passed: Number(last[2]), skipped: Number(last[3]) } : undefined;
}
const requested = process.argv.slice(2);
const files = requested.length > 0
  ? requested
  : readdirSync(join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', f));

const ansi = /\u001b\[[0-9;]*m/g;

/** Whether process `pid` still runs (a run's directory in dist/tests is named by its pid). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Every suite compiled up front into dist/tests/<pid> (one esbuild run, modules shared between
 * suites in chunks), so each suite's process loads plain JavaScript. Loaded through tsx, a
 * suite spent 0.6–1 s importing its TypeScript before its first test (the homepage units:
 * 0.87 s of a 1.2 s run), about a minute of the whole run. tsx's own settings are kept
 * (keepNames), so the code behaves as it does from source. TEST_FROM_SOURCE=1 runs the
 * sources through tsx instead; so does a failed build, after saying why.
 * Returns how to run each file: [file, node arguments].
 */
async function compiled(list) {
  const fromSource = (f) => [f, ['--import', 'tsx', f]];
  if (process.env.TEST_FROM_SOURCE === '1') return list.map(fromSource);
  // A directory per run: two runs at once (one suite while the whole run goes) must not
  // delete each other's files. Removed when the run ends.
  const runs = join(root, 'dist', 'tests');
  const outdir = join(runs, String(process.pid));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  // What a run that was killed left behind.
  for (const pid of existsSync(runs) ? readdirSync(runs) : []) {
    if (!alive(Number(pid))) rmSync(join(runs, pid), { recursive: true, force: true });
  }
  try {
    const { build } = await import('esbuild');
    const started = Date.now();
    await build({
      absWorkingDir: root,
      entryPoints: list.map((f) => ({ in: f, out: basename(f).replace(/\.ts$/, '') })),
      outdir,
      bundle: true,
      splitting: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      keepNames: true,
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'error',
    });
    process.stdout.write(`compiled ${list.length} suites in ${Date.now() - started} ms (TEST_FROM_SOURCE=1 runs them through tsx)\n`);
    return list.map((f) => [f, ['--enable-source-maps', join(outdir, `${basename(f).replace(/\.ts$/, '')}.js`)]]);
  } catch (err) {
    process.stdout.write(`could not compile the suites (${String(err).split('\n')[0]}); running them through tsx\n`);
    return list.map(fromSource);
  }
}

/**
 * Runs one suite. `show` gets its output: as it comes when suites run one at a time, all at
 * once at its end when they run side by side (so one suite's lines stay together).
 */
function runFile([file, args], show) {
  return new Promise((resolve) => {
    const started = Date.now();
    // Its own process group, so a suite killed for running too long takes the node and
    // gateway processes it started with it instead of leaving them to load the next suites.
    const child = spawn(process.execPath, args, {
      detached: true,
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', LOG_LEVEL: process.env.LOG_LEVEL || 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let lingering;
    let stoppedLingering = false;
    child.stdout.on('data', (d) => {
      out += d;
      show.out(d);
      // uvu prints its totals once every test and hook has run. A suite still alive well
      // after that is held open by a timer or a connection it left behind: say so and stop
      // it, rather than let it add its leftover wait to the whole run.
      // Only the new output and the bit before it (a summary split across two reads) is
      // looked at: scanning the whole output on every read grew with its square.
      if (!lingering && lastSummary(out.slice(-(d.length + 512)).replace(ansi, '')) !== undefined) {
        lingering = setTimeout(() => {
          stoppedLingering = true;
          show.out(`\n${file}: still running ${lingerMs} ms after its summary (a timer or connection left open); stopped\n`);
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, lingerMs);
      }
    });
    child.stderr.on('data', (d) => { show.err(d); });
    const timer = setTimeout(() => {
      show.out(`\n${file}: still running after ${perFileTimeoutMs} ms; killed\n`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, perFileTimeoutMs);
    child.on('exit', () => {
      // Whatever the suite left running (a child it did not reap) goes with it; that also
      // closes any copy of its output pipe such a child held.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      // A child that left the group and still holds the pipe would keep 'close' away.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2000).unref();
    });
    // 'close', after 'exit': every byte of its output is read before the totals are parsed.
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(lingering);
      const text = out.replace(ansi, '');
      const { total, passed, skipped } = lastSummary(text) ?? { total: 0, passed: 0, skipped: 0 };
      // uvu's Total counts the tests that ran; skipped ones are reported apart.
      let failed = Math.max(0, total - passed);
      // A file that died before uvu could count, or exited non-zero anyway, failed. One
      // stopped for lingering after a whole summary is judged by it (a failure it would
      // have thrown later than that is not seen: the line above says it was stopped).
      if (code !== 0 && failed === 0 && !(stoppedLingering && total > 0)) failed = 1;
      resolve({ file, passed, failed, skipped, ms: Date.now() - started });
    });
  });
}

/** Streams a suite's output as it comes. */
function live(file) {
  process.stdout.write(`\n── ${file}\n`);
  return { out: (d) => process.stdout.write(d), err: (d) => process.stderr.write(d), end() {} };
}

/**
 * Holds a suite's output and prints it whole when the suite ends. A suite still running
 * after a minute says so once a minute, so a hang shows in the log before its timeout.
 */
function held(file) {
  const chunks = [];
  const started = Date.now();
  const still = setInterval(() => process.stdout.write(`(${file} still running after ${Math.round((Date.now() - started) / 1000)} s)\n`), 60_000);
  return {
    out: (d) => chunks.push([process.stdout, d]),
    err: (d) => chunks.push([process.stderr, d]),
    end() {
      clearInterval(still);
      process.stdout.write(`\n── ${file}\n`);
      for (const [stream, d] of chunks) stream.write(d);
    },
  };
}

/**
 * A suite that asserts how soon something happens (a product searchable within a second, a
 * logout seen by another gateway within 100 ms) says so with a line `// run-tests: alone`:
 * it runs after the others, one at a time, so another suite's load is not what it measures.
 */
function alone(file) {
  try {
    return /^\/\/ run-tests: alone\b/m.test(readFileSync(resolve(root, file), 'utf8'));
  } catch {
    return false; // a path that cannot be read fails as a suite, with the others counted
  }
}

/** Runs the suites at `indexes`, `width` at a time, into `results`. */
async function runAll(indexes, width) {
  let next = 0;
  const worker = async () => {
    for (let k = next++; k < indexes.length; k = next++) {
      const i = indexes[k];
      const show = width === 1 ? live(runs[i][0]) : held(runs[i][0]);
      results[i] = await runFile(runs[i], show);
      show.end();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, indexes.length) }, worker));
}

const runs = await compiled(files);
const results = new Array(runs.length);
const indexes = runs.map((_, i) => i);
const timed = jobs > 1 ? indexes.filter((i) => alone(runs[i][0])) : [];
await runAll(indexes.filter((i) => !timed.includes(i)), jobs);
await runAll(timed, 1);
process.stdout.write('\n');
for (const r of results) {
  process.stdout.write(`${r.failed ? 'FAIL' : 'ok  '} ${r.file}  ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}  (${(r.ms / 1000).toFixed(1)} s)\n`);
}
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const skipped = sum('skipped');
process.stdout.write(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(sum('failed') === 0 ? 0 : 1);
