// Request/reply for stateless services (`<cluster>.svc.<name>.<op>` in a NATS queue group):
// errors cross as the cluster's wire errors, and "no responders" (a node starting or
// stopping) is retried with backoff inside the deadline. A read is also asked again when
// its first attempt is not answered within a second, the earlier attempt still waiting
// for its answer (`hedged`): the queue group picks a member per request, and one that is
// frozen (SIGSTOP, a long pause) keeps its share of them for as long as it is frozen. A
// fault audit saw 26% of searches time out at 5 s through a 30 s pause, long after the
// frozen node's shards had moved.
import { ErrorCode, type Msg, type NatsConnection, type NatsError } from 'nats';
import type { Logger } from 'pino';
import { TimeoutError, UnavailableError, fromWireError, toWireError, type WireError } from '../../cluster/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long a read waits for its first attempt before asking again (see `hedged`). */
const hedgeAfterMs = 1000;

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
  const data = encoder.encode(JSON.stringify(req));
  const msg = opts.read ? await hedged(nc, subject, data, until, deadlineMs) : await askOnce(nc, subject, data, until, deadlineMs);
  const reply = JSON.parse(decoder.decode(msg.data)) as { v?: unknown; e?: WireError };
  if (reply.e) throw fromWireError(reply.e);
  return reply.v as R;
}

/**
 * One request, waiting for its answer until `until`; "no responders" is asked again with
 * backoff, unless `done()` says the call was answered meanwhile (another hedge).
 */
async function askOnce(nc: NatsConnection, subject: string, data: Uint8Array, until: number, deadlineMs: number, done: () => boolean = () => false): Promise<Msg> {
  for (let attempt = 0; ; attempt++) {
    const left = until - Date.now();
    if (left <= 0 || done()) throw new TimeoutError(`${subject} did not answer within ${deadlineMs} ms`);
    try {
      return await nc.request(subject, data, { timeout: left });
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === ErrorCode.Timeout) throw new TimeoutError(`${subject} did not answer within ${deadlineMs} ms`);
      if (code !== ErrorCode.NoResponders) throw err;
      if (until - Date.now() < 20) throw new UnavailableError(`no ${subject} service is running`);
      await sleep(Math.min(500, 20 * 2 ** attempt, Math.max(0, until - Date.now() - 10)));
    }
  }
}

/**
 * A read asked again, of whichever member the queue group picks, when no answer came after
 * `hedgeAfterMs` (and once more after twice that), every attempt still waiting for its own
 * answer until the one deadline: the first answer wins. A slow read (a big search under load)
 * is still answered by its first attempt; one that reached a frozen member is answered by
 * another. An attempt whose work is abandoned still runs on its member, so hedges are few
 * and late.
 */
function hedged(nc: NatsConnection, subject: string, data: Uint8Array, until: number, deadlineMs: number): Promise<Msg> {
  return new Promise<Msg>((resolve, reject) => {
    let running = 0;
    let hedgesLeft = 0;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      outcome();
    };
    const launch = () => {
      running++;
      askOnce(nc, subject, data, until, deadlineMs, () => settled).then(
        (msg) => finish(() => resolve(msg)),
        (err: unknown) => {
          running--;
          // Another attempt may still answer in time; an answer that is an error is final.
          if (err instanceof TimeoutError && (running > 0 || hedgesLeft > 0)) return;
          finish(() => reject(err));
        },
      );
    };
    launch();
    for (const at of [hedgeAfterMs, hedgeAfterMs * 3]) {
      if (Date.now() + at >= until - 250) break;
      hedgesLeft++;
      timers.push(setTimeout(() => {
        hedgesLeft--;
        if (!settled) launch();
      }, at));
    }
  });
}
