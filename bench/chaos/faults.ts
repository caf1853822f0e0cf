// The faults, one per scenario. Each resolves once the fault is over (the process or
// server is back, or for a kill, at once) and says when that was.
import { leaseTtlMs, type Servers, type Stack } from './stack.ts';
import { sleep } from './load.ts';

export interface FaultContext {
  stack: Stack;
  servers: Servers;
  sku: string;
  say(line: string): void;
}

export interface Scenario {
  name: string;
  fault: string;
  inject(ctx: FaultContext): Promise<void>;
}

const downMs = 3000;

async function node(ctx: FaultContext, entityId: string): Promise<[string, import('../../test/support/harness.ts').Proc]> {
  const id = await ctx.stack.ownerOf(entityId);
  const proc = id ? ctx.stack.nodes.get(id) : undefined;
  if (!id || !proc) throw new Error(`no node serves the shard of ${entityId}`);
  return [id, proc];
}

export const scenarios: Scenario[] = [
  {
    name: 'kill-owner',
    fault: 'kill -9 of the node owning the sale SKU',
    async inject(ctx) {
      const [id, proc] = await node(ctx, ctx.sku);
      ctx.say(`kill -9 ${id}`);
      await proc.kill('SIGKILL');
    },
  },
  {
    name: 'pause-owner',
    fault: `SIGSTOP of the SKU's owner for 2 × lease TTL, then SIGCONT`,
    async inject(ctx) {
      const [id, proc] = await node(ctx, ctx.sku);
      ctx.say(`SIGSTOP ${id} for ${2 * leaseTtlMs} ms`);
      proc.child.kill('SIGSTOP');
      await sleep(2 * leaseTtlMs);
      proc.child.kill('SIGCONT');
    },
  },
  {
    name: 'nats-restart',
    fault: `NATS killed (-9), started again ${downMs / 1000} s later with its storage`,
    async inject(ctx) {
      await ctx.servers.nats.kill('SIGKILL');
      await sleep(downMs);
      await ctx.servers.nats.start();
    },
  },
  {
    name: 'mariadb-restart',
    fault: `MariaDB killed (-9), started again ${downMs / 1000} s later (crash recovery)`,
    async inject(ctx) {
      await ctx.servers.mariadb.kill('SIGKILL');
      await sleep(downMs);
      await ctx.servers.mariadb.start();
    },
  },
  {
    name: 'redis-restart',
    fault: `Redis killed (-9), started again ${downMs / 1000} s later, empty`,
    async inject(ctx) {
      await ctx.servers.redis.kill('SIGKILL');
      await sleep(downMs);
      await ctx.servers.redis.start();
    },
  },
  {
    name: 'consumer-killed',
    fault: 'kill -9 of the node running the outbox relay and projections, mid-batch',
    async inject(ctx) {
      const [id, proc] = await node(ctx, 'outbox-relay');
      ctx.say(`kill -9 ${id} (outbox relay, projections)`);
      await proc.kill('SIGKILL');
    },
  },
];
