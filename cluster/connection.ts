// The NATS connection every role shares, with reconnects that never give up: an actor
// node without NATS serves nobody, so it waits for it rather than exiting.
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { ConnectionState } from './connection-state.ts';
import { defaultWriteGapMs, pace } from './write-pacer.ts';

/**
 * Client pings every 2 s, two unanswered → stale: a server that vanished without closing
 * the socket (a partition, a paused server) is noticed in about 4 s and the client starts
 * reconnecting, instead of after the default 2 minutes × 2.
 */
export const natsPingIntervalMs = 2000;

/** `url`: one server, or several comma-separated (a NATS cluster's); nats.js tries them in a random order. */
export async function connectNats(url: string, name: string, log: Logger, writeGapMs = defaultWriteGapMs): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: natsPingIntervalMs,
    maxPingOut: 2,
    // No Error (stack trace) built per request and publish: ~1% of a node's CPU per ask.
    noAsyncTraces: true,
  });
  ConnectionState.of(nc);
  pace(nc, writeGapMs);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        log.warn({ nats: status.type, data: String(status.data) }, 'nats connection status');
      }
    }
  })();
  return nc;
}
