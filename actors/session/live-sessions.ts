// Local session checks for gateways: a bounded cache of sessions a gateway has seen live,
// fed by the revocation feed — every session entity publishes `<cluster>.evt.session.revoked`
// after a logout commits and before it answers — so a request pays for no ask, while a
// logout still reaches every gateway within milliseconds. While the feed cannot be trusted
// (disconnected, reconnected, or the gateway's own probe through NATS did not come back)
// the cache is emptied and every check asks the session entity, as without a cache.
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import type { SessionView } from './messages.ts';
import { sessionIdOf } from './token.ts';

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
  /** How often the gateway sends a probe through NATS to itself. */
  probeEveryMs?: number;
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
  private probeSent = 0;
  private probeSeen = 0;
  private closed = false;
  private hits = 0;
  private asks = 0;
  private readonly probeSubject: string;
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LiveSessionsOptions) {
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
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
        if (!err) this.probeSeen = Math.max(this.probeSeen, Number(decoder.decode(msg.data)) || 0);
      },
    }));
    await nc.flush();
    this.feedUp = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (this.closed) break;
        // Announcements may have been missed while disconnected: start from nothing.
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') this.lose();
      }
    })();
    this.timer = setInterval(() => this.probe(), this.opts.probeEveryMs ?? 1000);
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
    return { hits: this.hits, asks: this.asks, feedUp: this.feedUp, size: this.entries.size };
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
    if (!this.feedUp) return undefined;
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

  /**
   * A probe published to this gateway's own subject must come back through the server by
   * the next-but-one tick; if not, announcements may be lost too: stop trusting the cache
   * until probes come back again.
   */
  private probe(): void {
    if (this.closed) return;
    const healthy = this.probeSeen >= this.probeSent - 1;
    if (!healthy && this.feedUp) {
      this.feedUp = false;
      this.lose();
    } else if (healthy && !this.feedUp) {
      this.lose();
      this.feedUp = true;
    }
    if (this.opts.nc.isClosed()) return;
    this.probeSent++;
    this.opts.nc.publish(this.probeSubject, String(this.probeSent));
  }
}
