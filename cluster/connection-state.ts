// Whether this process's NATS connection is up right now, from the client's status events,
// and who to tell when it comes back. One per connection, shared by every user of it.
import { Events, type NatsConnection } from 'nats';

export class ConnectionState {
  private static readonly byConnection = new WeakMap<NatsConnection, ConnectionState>();
  private isUp = true;
  private readonly listeners = new Set<() => void>();

  /** The state of `nc` (created and attached on first use). */
  static of(nc: NatsConnection): ConnectionState {
    let state = ConnectionState.byConnection.get(nc);
    if (!state) {
      state = new ConnectionState(nc);
      ConnectionState.byConnection.set(nc, state);
    }
    return state;
  }

  private constructor(private readonly nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === Events.Disconnect) this.isUp = false;
        else if (status.type === Events.Reconnect) {
          this.isUp = true;
          for (const listener of [...this.listeners]) {
            try {
              listener();
            } catch {
              // A listener's failure is its own; the others still need to hear.
            }
          }
        }
      }
    })().catch(() => undefined);
  }

  /** False between a disconnect and the reconnect that follows it, and once closed. */
  get up(): boolean {
    return this.isUp && !this.nc.isClosed();
  }

  /** Calls `listener` after every reconnect; returns the function that stops it. */
  onReconnect(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
