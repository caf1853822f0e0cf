// Request/reply over one wildcard inbox subscription. nats.js's request() builds an Error
// per call to keep its stack for a later timeout, which was the largest single cost of a
// small ask; here a reply is matched by token, deadlines are checked by one timer, and
// "no responders" is read from the status header the server sends back.
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { pacerOf, type WritePacer } from './write-pacer.ts';

export type RequestFailure = 'no_responders' | 'timeout' | 'closed';

/** A failed request; `reason` says why without a stack, which nobody reads. */
export class RequestFailed {
  constructor(readonly reason: RequestFailure) {}
}

interface Waiting {
  resolve: (msg: Msg) => void;
  reject: (failure: RequestFailed) => void;
  /** performance.now() after which it times out (a wall clock stepped back must not stretch it). */
  deadline: number;
}

export class Requester {
  private readonly prefix = createInbox();
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly pacer: WritePacer;

  /** `pacer`: the connection's own unless given (a test's own gap). */
  constructor(private readonly nc: NatsConnection, sweepEveryMs = 10, pacer?: WritePacer) {
    this.pacer = pacer ?? pacerOf(nc);
    nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.prefix.length + 1);
        const w = this.waiting.get(token);
        if (!w) return;
        this.waiting.delete(token);
        // A status reply with code 503 and no body means nobody was subscribed.
        if (msg.headers?.code === 503 && msg.data.length === 0) w.reject(new RequestFailed('no_responders'));
        else w.resolve(msg);
      },
    });
    this.timer = setInterval(() => this.sweep(), sweepEveryMs);
    this.timer.unref();
    void nc.closed().then(() => {
      clearInterval(this.timer);
      for (const w of this.waiting.values()) w.reject(new RequestFailed('closed'));
      this.waiting.clear();
    });
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const token = (this.next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: performance.now() + timeoutMs });
      this.pacer.run(() => {
        try {
          const reply = `${this.prefix}.${token}`;
          this.nc.publish(subject, data, headers ? { reply, headers } : { reply });
        } catch (err) {
          // Not sent (the connection is closed): nothing will answer, and nothing may stay waiting.
          this.waiting.delete(token);
          reject(err);
        }
      });
    });
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, w] of this.waiting) {
      if (w.deadline <= now) {
        this.waiting.delete(token);
        w.reject(new RequestFailed('timeout'));
      }
    }
  }
}
