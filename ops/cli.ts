// `npm run cluster -- <command>`: the operator's view of a running cluster and the drain
// command. Reads the same environment as the nodes (NATS_URL, CLUSTER, SHARDS), so run it
// with the settings the cluster runs with; --nats and --cluster override them.
import { Command, InvalidArgumentError } from 'commander';
import type { NatsConnection } from 'nats';
import { pino } from 'pino';
import { ClusterWatch, connectNats, drainNode, readStatus } from '../cluster/index.ts';
import { ConfigError, loadConfig, type Config } from '../app/config.ts';
import { ranges, statusJson, statusText } from './cli/render.ts';

// `… watch | head` closes the pipe early: stop quietly, as other tools do, not with an EPIPE stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

interface Globals {
  nats?: string;
  cluster?: string;
}

const program = new Command('cluster')
  .description('inspect and drive a running cluster (reads NATS_URL, CLUSTER, SHARDS, LEASE_TTL_MS like the nodes do)')
  .option('--nats <url>', 'NATS server (default: $NATS_URL or nats://127.0.0.1:4222)')
  .option('--cluster <name>', 'cluster name (default: $CLUSTER or shop)')
  .showHelpAfterError();

function settings(): Config {
  const g = program.opts<Globals>();
  try {
    return loadConfig({ ...process.env, ...(g.nats ? { NATS_URL: g.nats } : {}), ...(g.cluster ? { CLUSTER: g.cluster } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) program.error(`configuration error: ${err.message}`, { exitCode: 2 });
    throw err;
  }
}

async function withNats<T>(config: Config, work: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const log = pino({ level: 'silent' });
  const nc = await Promise.race([
    connectNats(config.natsUrl, 'cluster-cli', log),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no NATS server answers at ${config.natsUrl}`)), 5000)),
  ]);
  try {
    return await work(nc);
  } finally {
    await nc.close();
  }
}

program
  .command('status')
  .description('members (node id, host, pid, version, role, status, shards, actors, singletons) and unowned shards')
  .option('--json', 'print one JSON object {members, unownedShards, singletons}')
  .action(async (opts: { json?: boolean }) => {
    const config = settings();
    const status = await withNats(config, (nc) => readStatus(nc, config.cluster, config.shards, config.leaseTtlMs));
    process.stdout.write(`${opts.json ? JSON.stringify(statusJson(status)) : statusText(status)}\n`);
  });

const positive = (raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number of seconds');
  return n;
};

program
  .command('drain')
  .description('ask a node to hand off every shard, finish its in-flight work and exit; returns when it is gone')
  .argument('<nodeId>', 'the node to drain (see `cluster status`)')
  .option('--timeout <seconds>', 'give up after this long', positive, 60)
  .action(async (nodeId: string, opts: { timeout: number }) => {
    const config = settings();
    const started = Date.now();
    const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
    const result = await withNats(config, (nc) => drainNode(nc, {
      cluster: config.cluster, shards: config.shards, leaseTtlMs: config.leaseTtlMs, nodeId, timeoutMs: opts.timeout * 1000,
      onProgress: (p) => process.stdout.write(`${stamp()}  ${nodeId}: ${p.status === 'gone' ? 'left the cluster' : `${p.status}, ${p.shards} shard(s)`}\n`),
    }));
    // The node released its leases; the others take them from their lease watch, within a
    // check interval. Wait for that (at most two lease TTLs), so the summary shows who owns them.
    const after = await withNats(config, async (nc) => {
      const until = Date.now() + 2 * config.leaseTtlMs;
      for (;;) {
        const s = await readStatus(nc, config.cluster, config.shards, config.leaseTtlMs);
        if (s.unownedShards.length === 0 || s.members.length === 0 || Date.now() >= until) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    const owners = after.members.map((m) => `${m.nodeId}=${m.shards}`).join(' ');
    process.stdout.write(`drained ${nodeId} in ${(result.ms / 1000).toFixed(1)} s; shards now ${owners || 'unowned'}${after.unownedShards.length ? `, unowned ${ranges(after.unownedShards)}` : ''}\n`);
  });

program
  .command('watch')
  .description('a live view of the members, redrawn on every change (Ctrl-C to leave)')
  .action(async () => {
    const config = settings();
    const nc = await connectNats(config.natsUrl, 'cluster-cli', pino({ level: 'silent' }));
    const watch = await ClusterWatch.open(nc, config.cluster, config.shards, config.leaseTtlMs);
    if (!watch.exists) {
      await nc.close();
      throw new Error(`no cluster "${config.cluster}" on this NATS (no node of it ever started): is "${config.cluster}" the cluster's name? (CLUSTER or --cluster)`);
    }
    const events: string[] = [];
    let previous = new Map<string, string>();
    const draw = () => {
      const s = watch.snapshot();
      const now = new Map(s.members.map((m) => [m.nodeId, `${m.status} ${m.shards} shards`]));
      const time = new Date().toISOString().slice(11, 19);
      for (const [id, state] of now) if (previous.get(id) !== state) events.push(`${time} ${id}: ${previous.has(id) ? '' : 'joined, '}${state}`);
      for (const id of previous.keys()) if (!now.has(id)) events.push(`${time} ${id}: gone`);
      previous = now;
      events.splice(0, Math.max(0, events.length - 10));
      const screen = `${statusText(s)}\n\nrecent changes:\n${events.join('\n') || '(none yet)'}\n\n${time}  watching ${config.natsUrl}; Ctrl-C to leave\n`;
      process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${screen}` : `${screen}\n`);
    };
    watch.onChange(draw);
    const timer = setInterval(draw, 1000);
    draw();
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    clearInterval(timer);
    watch.stop();
    await nc.close();
  });

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    const config = (() => {
      try {
        return settings();
      } catch {
        return undefined;
      }
    })();
    // A connection error names no server by itself ("CONNECTION_REFUSED").
    const where = config && !String((err as Error).message).includes(config.natsUrl) ? ` (NATS at ${config.natsUrl})` : '';
    process.stderr.write(`cluster: ${(err as Error).message ?? String(err)}${where}\n`);
    process.exit(1);
  },
);
