// Process entry: reads the config, opens the connections, starts the roles it was given
// (ROLE=all|node|gateway), and on SIGTERM/SIGINT stops taking work, drains, then exits.
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { openContext } from './context.ts';
import { startNode } from './node-role.ts';
import { startGateway } from './gateway-role.ts';
import { seedDemoData } from './demo.ts';
import { startOps } from './ops.ts';
import { JoinRefusedError, announceLeft, assertNodeIdFree, checkJoin, clusterMetrics, serveDrain, useBucketReplicas, type ClusterNode, type MemberDatabase } from '../cluster/index.ts';
import { useStreamReplicas } from '../stores/events/index.ts';
import { guardUnhandledRejections } from './crash-guard.ts';
import { checkListenable } from './listen-check.ts';
import { untilDatabaseReady } from './database-wait.ts';
import { startProblem } from './start-problem.ts';
import { databaseIdentity, databaseOf, schemaProblem } from '../stores/mysql/index.ts';

let config: Config;
try {
  config = loadConfig();
  await checkListenable(config);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.logLevel, { role: config.role, nodeId: config.nodeId });
guardUnhandledRejections(log, () => clusterMetrics.survivedRejections.inc());
// A keyed checkout answered `timeout` can only be retried once its key's hold ends; an order
// whose stock hold is shorter than that expires before its buyer can pay it.
if (config.reservationTtlMs < 2 * config.idempotencyUnknownHoldMs) {
  log.warn({ reservationTtlMs: config.reservationTtlMs, idempotencyUnknownHoldMs: config.idempotencyUnknownHoldMs },
    'RESERVATION_TTL_MS is under twice IDEMPOTENCY_UNKNOWN_HOLD_MS: a checkout retried after a timeout may expire before it can be paid');
}
// Guessing is limited per address (gateway/auth.ts), but a botnet has many addresses: the
// token's length is what holds then. A warning, not a refusal, so a deploy never stops on it.
if (config.adminToken !== undefined && config.adminToken.length < 24 && config.role !== 'node') {
  log.warn({ adminTokenLength: config.adminToken.length },
    'ADMIN_TOKEN is short: use 24 or more random characters (openssl rand -hex 16 prints 32)');
}
useBucketReplicas(config.jetstreamReplicas);
useStreamReplicas(config.jetstreamReplicas);
const ctx = await openContext(config, log).catch((err: unknown) => startFailed(err));
let node: ClusterNode | undefined;
let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
let ops: Awaited<ReturnType<typeof startOps>>;
/** What a node not joined yet waits for (its /readyz says it). */
let joining: 'starting' | 'database' | 'nodeId' | 'shards' = 'starting';
const joiningText = {
  starting: 'starting',
  database: 'waiting for MariaDB',
  nodeId: `waiting for the record of an earlier NODE_ID=${config.nodeId} to expire`,
  shards: 'taking its shards',
} as const;
let stopping = false;
let started = false;
let stopAsked: string | undefined;
// Signals are taken from here on: during start-up, a process that holds nothing yet (it is
// waiting for MariaDB or for an earlier NODE_ID's record) leaves at once; one taking its
// shards or seeding finishes starting, then stops as asked. Handled only after start-up,
// a SIGTERM then killed a node holding shards (unowned until their leases ran out) and a
// drain during the demo seed was lost.
function stopWhenAsked(signal: string): void {
  if (started) return void shutdown(signal);
  if (node === undefined && joining !== 'shards') {
    log.info({ signal, joining }, 'stopping before joining');
    process.exit(0);
  }
  if (stopAsked) {
    // Asked twice while it finishes starting: the operator means now.
    log.warn({ signal }, 'asked again to stop during start-up: exiting now');
    process.exit(1);
  }
  stopAsked = signal;
}
process.on('SIGTERM', () => stopWhenAsked('SIGTERM'));
process.on('SIGINT', () => stopWhenAsked('SIGINT'));
try {
  // Before anything starts: with another SHARDS a node (or a gateway) would address every entity wrongly.
  await checkJoin(ctx.nc, config.cluster, config.shards, config.leaseTtlMs);
  // The ops port first: while the node waits for MariaDB, its /readyz says so.
  ops = await startOps(ctx, {
    nodeRole: config.role !== 'gateway',
    node: () => node,
    joining: () => joiningText[joining],
    ...(config.role !== 'node' ? { gatewayReadiness: (scope) => gateway?.readiness(scope) ?? Promise.resolve({ gateway: 'not listening yet' }) } : {}),
  });
  if (ops) process.stdout.write(`ops port on ${ops.url} (/healthz, /readyz, /metrics)\n`);
  if (config.role !== 'gateway') {
    joining = 'database';
    await untilDatabaseReady(ctx.pool, log);
    const database = await ourDatabase();
    // Refused before anything else waits: a node on another database than the members'.
    await checkJoin(ctx.nc, config.cluster, config.shards, config.leaseTtlMs, database);
    joining = 'nodeId';
    await assertNodeIdFree(ctx.nc, config.cluster, config.nodeId, config.leaseTtlMs);
    joining = 'shards';
    // ClusterNode.start checks the database again before and after writing our record.
    node = await startNode(ctx, database);
  } else if ((await schemaProblem(ctx.pool)) === undefined) {
    // A gateway writes users, coupons and wishlists itself: on another database than the
    // nodes', they would land where checkout never reads. One whose database is not ready
    // yet starts anyway (its /readyz names mariadb), as before.
    await checkJoin(ctx.nc, config.cluster, config.shards, config.leaseTtlMs, await ourDatabase());
  }
} catch (err) {
  if (err instanceof JoinRefusedError) {
    process.stderr.write(`refusing to join cluster "${config.cluster}": ${err.message}\n`);
    await ctx.close();
    process.exit(3);
  }
  startFailed(err);
}
gateway = config.role === 'node' ? undefined : await startGateway(ctx);
// `npm run cluster -- drain <nodeId>` asks this node to leave the way SIGTERM does.
if (node) serveDrain(ctx.nc, config.cluster, config.nodeId, () => stopWhenAsked('drain'));

if (config.demoData && node) {
  // Demo data is a convenience: a failure (NATS slow to answer) must not take down a node that holds shards.
  await seedDemoData(ctx).catch((err: unknown) => log.error({ err }, 'demo data not seeded; it is tried again at the next start'));
}

log.info({ cluster: config.cluster, shards: config.shards, http: gateway?.url, ownedShards: node?.ownedShards().length }, 'started');
if (gateway) process.stdout.write(`gateway listening on ${gateway.url}\n`);
if (node) process.stdout.write(`actor node ${config.nodeId} joined cluster "${config.cluster}" on ${config.natsUrl}\n`);
started = true;
if (stopAsked) await shutdown(stopAsked);

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: finishing in-flight work');
  const boundMs = 30_000 + (gateway ? config.httpStopGraceMs : 0);
  const force = setTimeout(() => {
    log.error(`graceful stop took over ${boundMs / 1000} s; exiting`);
    process.exit(1);
  }, boundMs);
  force.unref();
  // With a node in the same process, its hand-off needs time inside the bound too.
  await gateway?.close(node ? 15_000 : 25_000);
  await node?.stop();
  // Tells a waiting `cluster drain` that every shard was handed off.
  if (node) await announceLeft(ctx.nc, config.cluster, config.nodeId);
  await ctx.close();
  await ops?.close();
  log.info('stopped');
  process.exit(exitCode);
}

/**
 * A start that cannot go on for a reason an operator can change: one line naming the
 * setting, not a stack trace (an ops audit met three). Anything else is thrown as it is.
 */
function startFailed(err: unknown): never {
  const problem = startProblem(err, config);
  if (!problem) throw err;
  process.stderr.write(`cannot start: ${problem.message}\n`);
  process.exit(problem.exitCode);
}

/** The database this process uses, as member records name it. */
async function ourDatabase(): Promise<MemberDatabase> {
  return { id: await databaseIdentity(ctx.pool), name: databaseOf(config.mysqlUrl) };
}
