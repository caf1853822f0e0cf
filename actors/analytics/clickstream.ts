// Publishes clickstream events to the EVENTS stream. Each event gets an id that is also its
// JetStream message id, so a publish retried after a lost acknowledgement is stored once.
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { ensureStream, eventsStream } from '../../stores/events/index.ts';
import type { ClickEvent } from './events.ts';

export type NewClickEvent = Omit<ClickEvent, 'id' | 'at'> & { at?: number };

export class Clickstream {
  private readonly encoder = new TextEncoder();
  private ready: Promise<void> | undefined;

  constructor(private readonly nc: NatsConnection, private readonly cluster: string, private readonly log: Logger) {}

  /** Resolves once JetStream stored the event (the only thing a request waits for). */
  async publish(input: NewClickEvent): Promise<ClickEvent> {
    const stream = eventsStream(this.cluster);
    this.ready ??= this.nc.jetstreamManager().then((jsm) => ensureStream(jsm, stream)).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const event: ClickEvent = { ...input, id: randomUUID(), at: input.at ?? Date.now() };
    await this.nc.jetstream().publish(stream.subject(event.type, event.userId ? 'user' : 'anonymous'), this.encoder.encode(JSON.stringify(event)), { msgID: event.id });
    return event;
  }

  /** Fire and forget: analytics must never slow or fail the request that caused the event. */
  record(input: NewClickEvent): void {
    this.publish(input).catch((err: unknown) => this.log.warn({ err: String(err), type: input.type }, 'clickstream event not published'));
  }
}
