// Process entry: reads the config, opens the connections, starts the roles it was given
// (ROLE=all|node|gateway), and on SIGTERM/SIGINT stops taking work, drains, then exits.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openContext } from './context.ts';
import { startNode } from './node-role.ts';
import { startGateway } from './gateway-role.ts';
import { seedDemoData } from './demo.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.logLevel, { role: config.role, nodeId: config.nodeId });
const ctx = await openContext(config, log);
const node = config.role === 'gateway' ? undefined : await startNode(ctx);
const gateway = config.role === 'node' ? undefined : await startGateway(ctx);

if (process.env.DEMO_DATA === '1' && node) await seedDemoData(ctx);

log.info({ cluster: config.cluster, shards: config.shards, http: gateway?.url, ownedShards: node?.ownedShards().length }, 'started');
if (gateway) process.stdout.write(`gateway listening on ${gateway.url}\n`);
if (node) process.stdout.write(`actor node ${config.nodeId} joined cluster "${config.cluster}" on ${config.natsUrl}\n`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: finishing in-flight work');
  const force = setTimeout(() => {
    log.error('graceful stop took over 30 s; exiting');
    process.exit(1);
  }, 30_000);
  force.unref();
  await gateway?.close();
  await node?.stop();
  await ctx.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
