// Request/reply for stateless services (`<cluster>.svc.<name>.<op>` in a NATS queue group):
// errors cross as the cluster's wire errors, and "no responders" (a node starting or
// stopping) is retried with backoff inside the deadline. A read is also asked again when
// an attempt gets no answer in time, each attempt allowed twice as long as the one before
// (250 ms, 500 ms, 1 s, …): the queue group picks a member per request, and one that is
// frozen (SIGSTOP, a long pause) keeps its share of them for as long as it is frozen. A
// fault audit saw 26% of searches time out at 5 s through a 30 s pause, long after the
// frozen node's shards had moved.
import { ErrorCode, type NatsConnection, type NatsError } from 'nats';
import type { Logger } from 'pino';
import { TimeoutError, UnavailableError, fromWireError, toWireError, type WireError } from '../../cluster/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A read's first attempt; a slow answer (a big search under load) gets longer ones after. */
const firstReadAttemptMs = 250;

export const serviceSubject = (cluster: string, service: string, op: string) => `${cluster}.svc.${service}.${op}`;

/** Answers `subject` in a queue group; returns a stop function that drains the subscription. */
export function serveService(nc: NatsConnection, subject: string, log: Logger, handler: (req: unknown) => Promise<unknown>): () => Promise<void> {
  const sub = nc.subscribe(subject, {
    queue: `${subject}.q`,
    callback: (err, msg) => {
      if (err) return;
      void (async () => {
        let reply: { v: unknown } | { e: WireError };
        try {
          reply = { v: await handler(JSON.parse(decoder.decode(msg.data)) as unknown) };
        } catch (failure) {
          const wire = toWireError(failure);
          if (wire.code === 'internal') log.error({ err: failure, subject }, 'service handler failed');
          reply = { e: wire };
        }
        msg.respond(encoder.encode(JSON.stringify(reply)));
      })();
    },
  });
  return () => sub.drain();
}

/** Asks a service; throws the typed error it answered with, or Timeout/Unavailable. */
export async function callService<R>(nc: NatsConnection, subject: string, req: unknown, deadlineMs = 5000, opts: { read?: boolean } = {}): Promise<R> {
  const until = Date.now() + deadlineMs;
  // A write (a homepage document) waits for its one answer: asked again, it could apply twice.
  let attemptMs = opts.read ? firstReadAttemptMs : deadlineMs;
  const data = encoder.encode(JSON.stringify(req));
  for (let attempt = 0; ; attempt++) {
    const left = until - Date.now();
    if (left <= 0) throw new TimeoutError(`${subject} did not answer within ${deadlineMs} ms`);
    try {
      const msg = await nc.request(subject, data, { timeout: Math.min(left, attemptMs) });
      const reply = JSON.parse(decoder.decode(msg.data)) as { v?: unknown; e?: WireError };
      if (reply.e) throw fromWireError(reply.e);
      return reply.v as R;
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === ErrorCode.Timeout) {
        attemptMs *= 2;
        if (opts.read && until - Date.now() > 20) continue;
        throw new TimeoutError(`${subject} did not answer within ${deadlineMs} ms`);
      }
      if (code !== ErrorCode.NoResponders) throw err;
      if (until - Date.now() < 20) throw new UnavailableError(`no ${subject} service is running`);
      await sleep(Math.min(500, 20 * 2 ** attempt));
    }
  }
}
