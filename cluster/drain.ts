// Draining a node on an operator's request: the node is asked over NATS, answers that it
// accepted, and then leaves the way SIGTERM makes it leave (stop taking work, hand off every
// shard, finish in-flight work, exit 0). The asking side returns once the node is gone:
// it said so on its way out, its record left the members bucket, and it serves no shard.
import type { NatsConnection } from 'nats';
import { ClusterWatch } from './status.ts';

const drainSubject = (cluster: string, nodeId: string) => `${cluster}.ops.drain.${nodeId}`;
const leftSubject = (cluster: string, nodeId: string) => `${cluster}.ops.left.${nodeId}`;
const encoder = new TextEncoder();

/** Answers drain requests for this node by calling `drain` (which ends the process). */
export function serveDrain(nc: NatsConnection, cluster: string, nodeId: string, drain: () => void): { stop(): void } {
  const sub = nc.subscribe(drainSubject(cluster, nodeId), {
    callback: (err, msg) => {
      if (err) return;
      msg.respond(encoder.encode(JSON.stringify({ accepted: true, nodeId, pid: process.pid })));
      // After the answer is on its way: the drain closes this connection at its end.
      setImmediate(drain);
    },
  });
  return { stop: () => sub.unsubscribe() };
}

/** Said by a node on its way out of a graceful stop, after its last shard was handed off. */
export async function announceLeft(nc: NatsConnection, cluster: string, nodeId: string): Promise<void> {
  nc.publish(leftSubject(cluster, nodeId), encoder.encode(JSON.stringify({ nodeId, at: Date.now() })));
  await nc.flush().catch(() => undefined);
}

export interface DrainProgress {
  status: string;
  shards: number;
  ms: number;
}

export class DrainError extends Error {
  override name = 'DrainError';
}

/**
 * Asks `nodeId` to drain and waits until it is gone. `onProgress` hears the node's status
 * and shard count as they change. Rejects with DrainError when no such node answers or it
 * is not gone within `timeoutMs`.
 */
export async function drainNode(
  nc: NatsConnection,
  opts: { cluster: string; shards: number; leaseTtlMs: number; nodeId: string; timeoutMs?: number; onProgress?: (p: DrainProgress) => void },
): Promise<{ ms: number }> {
  const started = Date.now();
  const watch = await ClusterWatch.open(nc, opts.cluster, opts.shards, opts.leaseTtlMs);
  const left = nc.subscribe(leftSubject(opts.cluster, opts.nodeId), { max: 1 });
  try {
    const member = () => watch.snapshot().members.find((m) => m.nodeId === opts.nodeId);
    const known = watch.snapshot().members.map((m) => m.nodeId);
    if (!member()) throw new DrainError(`no live node "${opts.nodeId}" in cluster "${opts.cluster}" (members: ${known.join(', ') || 'none'})`);
    let said = false;
    void (async () => {
      for await (const _ of left) said = true;
    })();
    try {
      await nc.request(drainSubject(opts.cluster, opts.nodeId), undefined, { timeout: 5000 });
    } catch (err) {
      // No responders: nothing listens for the node any more, so its record outlives a crash
      // (a kill -9) until it runs out. Said as such, rather than NATS's bare "503".
      if ((err as { code?: unknown }).code === '503') {
        throw new DrainError(`node "${opts.nodeId}" did not accept the drain: no process answers for it (it stopped without leaving, e.g. killed); its record runs out within ${watch.ttlMs} ms and the others take its shards then: nothing to drain`);
      }
      throw new DrainError(`node "${opts.nodeId}" did not accept the drain: ${(err as Error).message}`);
    }
    let last = '';
    const report = () => {
      const m = member();
      const line = m ? `${m.status}:${m.shards}` : 'gone';
      if (line === last) return;
      last = line;
      opts.onProgress?.({ status: m?.status ?? 'gone', shards: m?.shards ?? 0, ms: Date.now() - started });
    };
    const off = watch.onChange(report);
    report();
    const until = started + (opts.timeoutMs ?? 60_000);
    try {
      // Gone means: it said it left, its record is gone, and no member lists a shard as its.
      for (;;) {
        const view = watch.snapshot();
        const serving = Object.values(view.shardOwners).includes(opts.nodeId);
        if (said && !member() && !serving) return { ms: Date.now() - started };
        if (Date.now() > until) throw new DrainError(`node "${opts.nodeId}" was not gone within ${opts.timeoutMs ?? 60_000} ms (${last})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      off();
    }
  } finally {
    left.unsubscribe();
    watch.stop();
  }
}
