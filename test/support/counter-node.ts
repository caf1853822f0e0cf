// A cluster node process serving only the test counter entity, for failover tests and
// bench:ask. Configured by the same environment variables as app/main.ts.
import { ClusterNode, JoinRefusedError, announceLeft, connectNats, serveDrain } from '../../cluster/index.ts';
import { loadConfig } from '../../app/config.ts';
import { createLogger } from '../../app/logger.ts';
import { nodeSettings } from '../../app/node-options.ts';
import { counterEntity } from './counter.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, { nodeId: config.nodeId });
const nc = await connectNats(config.natsUrl, config.nodeId, log);
const node = await ClusterNode.start({
  nc,
  ...nodeSettings(config),
  log,
  // COUNTER_ASYNC_GAP=0 makes the behaviour synchronous: the trivial entity of bench:ask.
  entities: [counterEntity({ asyncGap: process.env.COUNTER_ASYNC_GAP !== '0' })],
}).catch((err: unknown) => {
  if (!(err instanceof JoinRefusedError)) throw err;
  process.stderr.write(`refusing to join cluster "${config.cluster}": ${err.message}\n`);
  process.exit(3);
});
// A bare NATS responder in the same process: bench:ask's baseline.
nc.subscribe(`${config.cluster}.bench.echo`, { callback: (_err, msg) => msg.respond(msg.data) });
process.stdout.write(`actor node ${config.nodeId} joined cluster "${config.cluster}"\n`);
process.on('SIGTERM', () => {
  void node.stop().then(async () => {
    await nc.drain();
    process.stdout.write(`actor node ${config.nodeId} stopped\n`);
    process.exit(0);
  });
});
// `cluster drain <nodeId>` stops this node the way SIGTERM does, then says it left.
serveDrain(nc, config.cluster, config.nodeId, () => {
  void node.stop().then(async () => {
    await announceLeft(nc, config.cluster, config.nodeId);
    await nc.drain();
    process.stdout.write(`actor node ${config.nodeId} drained\n`);
    process.exit(0);
  });
});
