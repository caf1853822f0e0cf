// Local session checks for gateways: a bounded cache of sessions a gateway has seen live,
// fed by the revocation feed — every session entity publishes `<cluster>.evt.session.revoked`
// after a logout commits — so a request pays for no ask, while a logout still takes effect
// on every gateway at once. While the feed cannot be trusted (disconnected, reconnected, or
// the gateway's own probe through NATS did not come back) the cache is emptied and every
// check asks the session entity, as without a cache.
//
// The cache answers only while a probe it sent at most `trustMs` (100 ms) ago has come back:
// the gateway probes itself through the server every `probeEveryMs`. The server delivers
// to one connection in the order it routes, so a gateway that has not heard a revocation
// has no echo of a probe routed after it, and stops answering from its cache at most
// `trustMs` after the revocation was routed, whatever its link does (a fault audit had a
// gateway cut off from NATS keep a logged-out token working for 2.6 s). The session entity
// flushes the announcement and then waits `revocationTrustMs` before it answers the logout
// (app/node-role.ts): by its 204, every gateway has either heard it or stopped trusting its
// cache. Answering at once instead, a gateway whose link had 3 ms of latency served 8 of
// 157 tokens 0–10 ms after their logout's 204. Logouts are rare; this costs each one 100 ms
// and every other request nothing.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NatsConnection, Subscription } from 'nats';
import type { SessionView } from './messages.ts';
import { sessionIdOf } from './token.ts';

/**
 * How long a gateway's cache answers after its newest probe that came back was sent (the
 * default `trustMs`), and so how long a logout waits after its announcement before it is
 * answered. The two must agree: a gateway trusting longer could serve a token after the 204.
 */
export const revocationTrustMs = 100;

/** The subject a logout is announced on. */
export const sessionRevokedSubject = (cluster: string) => `${cluster}.evt.session.revoked`;

/** Announces a revoked session to every gateway (node side). */
export function announceRevoked(nc: NatsConnection, cluster: string, sessionId: string): void {
  nc.publish(sessionRevokedSubject(cluster), JSON.stringify({ sessionId }));
}

export interface LiveSessionsOptions {
  nc: NatsConnection;
  cluster: string;
  /** Entries kept at most (the oldest is dropped first). */
  maxEntries?: number;
  /**
   * An entry is checked with its entity again once it is older than this, or a little
   * earlier (keeps last-seen roughly fresh): each entry's age limit is drawn between 3/4 of
   * it and all of it, so sessions cached together are not all asked again at one moment.
   */
  maxAgeMs?: number;
  /** The clock (tests). */
  now?: () => number;
  /** How often the gateway sends a probe through NATS to itself (default 25 ms). */
  probeEveryMs?: number;
  /**
   * The cache answers only while a probe sent at most this long ago has come back (default
   * `revocationTrustMs`): the longest a logout can go unheard on a gateway whose link to
   * NATS died or slowed. Longer than the logout's wait breaks "at once".
   */
  trustMs?: number;
  /** With no probe back for this long the cache is emptied: announcements may be lost (default 2 s). */
  lossAfterMs?: number;
}

interface Entry {
  tokenHash: string;
  view: SessionView;
  /** When the entry stops answering for its session (its age limit, drawn per entry). */
  freshUntil: number;
}

export interface LiveSessionStats {
  hits: number;
  asks: number;
  feedUp: boolean;
  /** Whether the cache may answer now (the feed is up and a recent probe came back). */
  trusted: boolean;
  size: number;
}

const tombstoneMs = 60_000;

export class LiveSessions {
  /** By session id (a revocation names the session, not the token). */
  private readonly entries = new Map<string, Entry>();
  /** Revocations heard recently, so an ask answered before a logout cannot refill the cache after it. */
  private readonly revoked = new Map<string, number>();
  private feedUp = false;
  /** Bumped whenever the cache is emptied; an ask started before then is not cached. */
  private generation = 0;
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() when the newest probe that came back was sent. */
  private echoSentAt = -Infinity;
  private closed = false;
  private hits = 0;
  private asks = 0;
  private readonly probeSubject: string;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly trustMs: number;
  private readonly lossAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LiveSessionsOptions) {
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.trustMs = opts.trustMs ?? revocationTrustMs;
    this.lossAfterMs = opts.lossAfterMs ?? 2000;
    this.now = opts.now ?? Date.now;
    this.probeSubject = `${sessionRevokedSubject(opts.cluster)}.probe.${randomBytes(6).toString('hex')}`;
  }

  /** Subscribes to the feed; the cache is used once the server confirmed the subscription. */
  async start(): Promise<void> {
    const { nc } = this.opts;
    const decoder = new TextDecoder();
    this.subs.push(nc.subscribe(sessionRevokedSubject(this.opts.cluster), {
      callback: (err, msg) => {
        if (err) return this.lose();
        try {
          const { sessionId } = JSON.parse(decoder.decode(msg.data)) as { sessionId?: unknown };
          if (typeof sessionId === 'string') this.forget(sessionId);
        } catch {
          // a malformed announcement names nothing to drop
        }
      },
    }));
    this.subs.push(nc.subscribe(this.probeSubject, {
      callback: (err, msg) => {
        if (!err) this.echoSentAt = Math.max(this.echoSentAt, Number(decoder.decode(msg.data)) || -Infinity);
      },
    }));
    await nc.flush();
    this.feedUp = true;
    this.echoSentAt = performance.now();
    void (async () => {
      for await (const s of nc.status()) {
        if (this.closed) break;
        // Announcements may have been missed while disconnected: start from nothing.
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') this.lose();
      }
    })();
    this.timer = setInterval(() => this.probe(), this.opts.probeEveryMs ?? 25);
    this.timer.unref();
  }

  /** Stops listening; later checks all ask. */
  stop(): void {
    this.closed = true;
    this.feedUp = false;
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.entries.clear();
  }

  stats(): LiveSessionStats {
    return { hits: this.hits, asks: this.asks, feedUp: this.feedUp, trusted: this.trusted(), size: this.entries.size };
  }

  /**
   * The session of `tokenHash`: from the cache when the feed is up and the entry is fresh,
   * otherwise from `ask` (the session entity), whose answer is then cached.
   */
  async check(tokenHash: string, ask: () => Promise<SessionView>): Promise<SessionView> {
    const hit = this.peek(tokenHash);
    if (hit) return hit;
    const now = this.now();
    const sessionId = sessionIdOf(tokenHash);
    this.asks++;
    const generation = this.generation;
    const view = await ask();
    const revokedAt = this.revoked.get(sessionId);
    // Cache only what no revocation or loss of the feed overtook while the ask was out.
    if (this.feedUp && generation === this.generation && (revokedAt === undefined || revokedAt < now)) {
      this.entries.delete(sessionId);
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      // A spread of a quarter of the age limit: a gateway restarted under load caches every
      // active shopper's session in its first second, and with one fixed limit it would ask
      // for all of them again in one second, every minute, each ask waking a session entity
      // (its load and its last-seen write). Drawn per entry, the crowd disperses.
      this.entries.set(sessionId, { tokenHash, view, freshUntil: this.now() + this.maxAgeMs * (0.75 + 0.25 * Math.random()) });
    }
    return view;
  }

  /** The session of `tokenHash` when the cache may answer for it now (as check would), else undefined. */
  peek(tokenHash: string): SessionView | undefined {
    if (!this.trusted()) return undefined;
    const now = this.now();
    const hit = this.entries.get(sessionIdOf(tokenHash));
    if (!hit || hit.tokenHash !== tokenHash || hit.view.expiresAt <= now || now >= hit.freshUntil) return undefined;
    this.hits++;
    return hit.view;
  }

  private forget(sessionId: string): void {
    const now = this.now();
    this.entries.delete(sessionId);
    this.revoked.set(sessionId, now);
    if (this.revoked.size > 1000) {
      for (const [id, at] of this.revoked) if (now - at > tombstoneMs) this.revoked.delete(id);
    }
  }

  private lose(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Whether the cache may answer now: the feed is up and a probe sent within `trustMs` came back. */
  private trusted(): boolean {
    return this.feedUp && performance.now() - this.echoSentAt <= this.trustMs;
  }

  /**
   * Sends a probe to this gateway's own subject, stamped with its send time. A short gap in
   * the echoes only stops the cache answering (trusted()); nothing is lost while the
   * connection holds, since the server delivers in order. With no echo for `lossAfterMs`
   * announcements may have been lost (a slow consumer dropped, a link gone): the cache is
   * emptied until probes come back again.
   */
  private probe(): void {
    if (this.closed) return;
    const healthy = performance.now() - this.echoSentAt <= this.lossAfterMs;
    if (!healthy && this.feedUp) {
      this.feedUp = false;
      this.lose();
    } else if (healthy && !this.feedUp) {
      this.lose();
      this.feedUp = true;
    }
    if (this.opts.nc.isClosed()) return;
    this.opts.nc.publish(this.probeSubject, String(performance.now()));
  }
}
