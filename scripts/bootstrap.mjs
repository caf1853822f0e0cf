#!/usr/bin/env node
// Zero-dependency set-up behind `npm start`, `npm test` and the benches: installs npm
// dependencies when missing, makes sure NATS (with JetStream), Redis and MariaDB answer
// at the configured URLs (installing them from Debian's packages and starting them on
// loopback with data under .data/ when they do not and we may), applies the SQL
// migrations, then runs the requested command.
//
//   node scripts/bootstrap.mjs start            the whole system with demo data
//   node scripts/bootstrap.mjs test [files…]    type-check, then every test suite
//   node scripts/bootstrap.mjs bench FILE [args] a bench script
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { dependenciesCurrent } from './dependencies.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.data');
const say = (line) => process.stderr.write(`[bootstrap] ${line}\n`);

const services = {
  nats: { env: 'NATS_URL', fallback: 'nats://127.0.0.1:4222', packageName: 'nats-server', probe: probeNats },
  redis: { env: 'REDIS_URL', fallback: 'redis://127.0.0.1:6379', packageName: 'redis-server', probe: probeRedis },
  mariadb: { env: 'MYSQL_URL', fallback: 'mysql://root@127.0.0.1:3306/shop', packageName: 'mariadb-server', probe: probeMariadb },
};

function fail(message) {
  say(`error: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return result.status === 0;
}

function ensureDependencies() {
  const lock = join(root, 'package-lock.json');
  if (dependenciesCurrent(root)) return;
  say('installing npm dependencies');
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  if (!run('npm', args)) fail('npm could not install the dependencies (is the npm registry reachable?)');
}

/** Opens a TCP connection and resolves with the first bytes the server sends (or '' after a while). */
function greet(url, send) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    let buffer = '';
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1500, () => done(buffer || null));
    socket.on('error', () => done(null));
    socket.on('connect', () => send && socket.write(send));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (buffer.length > 4 || buffer.includes('\n')) done(buffer);
    });
  });
}

async function probeNats(url) {
  const info = await greet(url);
  if (!info) return 'no answer';
  if (!info.startsWith('INFO')) return 'not a NATS server';
  return /"jetstream"\s*:\s*true/.test(info) ? 'ok' : 'answers but JetStream is off (start nats-server with -js)';
}

async function probeRedis(url) {
  const reply = await greet(url, 'PING\r\n');
  if (!reply) return 'no answer';
  return reply.startsWith('+PONG') || reply.startsWith('-NOAUTH') ? 'ok' : 'not a Redis server';
}

async function probeMariadb(url) {
  const greeting = await greet(url);
  return greeting ? 'ok' : 'no answer';
}

const isLoopback = (url) => ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(new URL(url).hostname);
const canInstall = () => process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

let aptUpdated = false;
function aptInstall(pkg) {
  if (!aptUpdated) {
    say('apt-get update');
    run('apt-get', ['update', '-qq']);
    aptUpdated = true;
  }
  say(`installing ${pkg} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env })) fail(`apt-get could not install ${pkg}`);
}

function startDetached(cmd, args, logName) {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: 'ignore' });
  child.unref();
  say(`started ${cmd} (log and data under .data/${logName})`);
}

function startService(name, url) {
  const port = new URL(url).port;
  if (name === 'nats') {
    if (!has('nats-server')) aptInstall('nats-server');
    const dir = join(dataDir, 'nats');
    mkdirSync(dir, { recursive: true });
    startDetached('nats-server', ['-a', '127.0.0.1', '-p', port || '4222', '-js', '-sd', dir, '-l', join(dir, 'nats.log')], 'nats');
  } else if (name === 'redis') {
    if (!has('redis-server')) aptInstall('redis-server');
    const dir = join(dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port || '6379', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log')]);
  } else {
    if (!has('mariadbd') && !has('mysqld')) aptInstall('mariadb-server');
    const dir = join(dataDir, 'mysql');
    if (!existsSync(join(dir, 'mysql'))) {
      mkdirSync(dir, { recursive: true });
      // "normal" gives root a (here empty) password usable over TCP, as the URL expects.
      if (!run('mariadb-install-db', ['--datadir=' + dir, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' })) {
        fail('mariadb-install-db failed');
      }
    }
    startDetached(has('mariadbd') ? 'mariadbd' : 'mysqld', [
      '--datadir=' + dir, '--user=root', '--bind-address=127.0.0.1', '--port=' + (port || '3306'),
      '--socket=' + join(dir, 'mysqld.sock'), '--pid-file=' + join(dir, 'mysqld.pid'), '--log-error=' + join(dir, 'error.log'),
    ], 'mysql');
  }
}

async function ensureServices() {
  for (const [name, svc] of Object.entries(services)) {
    // NATS_URL may list several servers (a NATS cluster): the first is the one checked here.
    const url = (process.env[svc.env] || svc.fallback).split(',')[0].trim();
    let status = await svc.probe(url);
    if (status === 'ok') continue;
    if (status !== 'no answer' || !isLoopback(url) || !canInstall()) {
      fail(`${name} at ${url} (${svc.env}): ${status}. Start it, or point ${svc.env} at one that runs.`);
    }
    say(`${name} does not answer at ${url}; starting one on loopback`);
    startService(name, url);
    for (let i = 0; i < 60 && status !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = await svc.probe(url);
    }
    if (status !== 'ok') fail(`${name} did not come up at ${url}: ${status}`);
  }
}

const tsx = ['--import', 'tsx'];
// The V8 flags every app process is started with (app/node-flags.json says why).
const appNodeFlags = JSON.parse(readFileSync(join(root, 'app', 'node-flags.json'), 'utf8')).flags;

async function main() {
  const [command = 'start', ...rest] = process.argv.slice(2);
  ensureDependencies();
  await ensureServices();
  if (command === 'test') {
    // The browser suites drive Debian's chromium (test/support/browser.ts).
    if (!process.env.CHROMIUM_PATH && !has('chromium') && !has('chromium-browser') && canInstall()) {
      aptInstall('chromium');
      aptInstall('fonts-dejavu-core');
    }
    if (!run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'])) fail('type-check failed');
    const child = spawnSync(process.execPath, [join(root, 'scripts', 'run-tests.mjs'), ...rest], { stdio: 'inherit', cwd: root });
    process.exit(child.status ?? 1);
  }
  // The app and the scripts that read its database (report, demo:generate) need it migrated;
  // a bench makes databases of its own (or aims at a running system with --url), so it
  // does not create or change the default one.
  const ownDatabase = command === 'bench' && rest[0]?.startsWith('bench/');
  if (!ownDatabase && !run(process.execPath, [...tsx, 'app/migrate.ts'])) fail('could not apply the database migrations');
  if (command === 'start') {
    // The app runs compiled (app/build.ts says why); built here when a source is newer.
    if (!run(process.execPath, [...tsx, 'app/build.ts'])) fail('could not build the app (dist/app.mjs)');
    const child = spawn(process.execPath, [...appNodeFlags, 'dist/app.mjs', ...rest], { stdio: 'inherit', cwd: root, env: { DEMO_DATA: '1', ...process.env } });
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.on('exit', exitAsChild);
    return;
  }
  if (command === 'bench') {
    const [file, ...args] = rest;
    if (!file) fail('usage: bootstrap.mjs bench FILE [args]');
    const child = spawn(process.execPath, [...tsx, file, ...args], { stdio: 'inherit', cwd: root });
    // Passed on, so a bench that started servers and processes can stop them (npm run chaos).
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.on('exit', exitAsChild);
    return;
  }
  fail(`unknown command "${command}" (start, test or bench)`);
}

/**
 * Exits as the child did: its code, or for a child killed by a signal (an OOM kill, a
 * kill -9) 128 + the signal's number, as a shell reports it. Exiting 0 there told a
 * supervisor or a CI job that a killed bench or app had succeeded.
 */
function exitAsChild(code, signal) {
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
}

main().catch((err) => fail(err?.stack ?? String(err)));
