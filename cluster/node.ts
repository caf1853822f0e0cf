// An actor node: joins the membership, takes the shards that rendezvous hashing gives it,
// serves their subjects while it holds their leases, hands them over with a drain when
// the membership changes or it stops, and lets go at once of a lease it has lost.
import { KvWatchInclude, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { parseEntitySubject, rendezvousOwner, shardOf, shardWildcard } from './addressing.ts';
import type { AnyEntityDefinition } from './entity.ts';
import { InvalidError, toWireError } from './errors.ts';
import { EntityHost, type HostStats } from './host.ts';
import { statsSubject } from './admin.ts';
import { Leases } from './leases.ts';
import { Membership, leasesBucket, membersBucket, type MemberDatabase, type MemberInfo } from './membership.ts';
import { TtlBucket, leaseCallTimeoutMs } from './bucket.ts';
import { ConnectionState } from './connection-state.ts';
import { keepWatching } from './watch.ts';
import { decodeRequest, encode, encodeReply, type WireReply, type WireRequest } from './wire.ts';
import type { LocalDelivery } from './client.ts';
import { assertCanJoin, clusterProtocol } from './join-check.ts';
import { clusterMetrics, counterSource, gaugeSource } from './metrics.ts';
import { hostname } from 'node:os';
import { pacerOf, type WritePacer } from './write-pacer.ts';

export interface NodeOptions {
  nc: NatsConnection;
  cluster: string;
  nodeId: string;
  shards: number;
  leaseTtlMs: number;
  mailboxLimit: number;
  idleTimeoutMs: number;
  log: Logger;
  entities: AnyEntityDefinition[];
  /** Jobs that must run on exactly one node (an outbox relay, a sweeper). */
  singletons?: Singleton[];
  /**
   * Services that live beside the entities on this node. On a graceful stop each one's
   * `beforeStop` runs first (stop taking work: leave a queue group), then the shards are
   * handed off, then each `afterStop` (close what the entities were still using).
   */
  services?: NodeService[];
  /** What operators see in `cluster status`: the software version and the process role. */
  version?: string;
  role?: string;
  /** The database this node uses, in its member record (join-check refuses a node with another). */
  database?: MemberDatabase;
  /**
   * A later process took this NODE_ID while this one was paused past its record's TTL
   * (Membership's onSuperseded). The node has stopped heartbeating and serves nothing by
   * then; the process should exit, as after a crash (default: it only logs).
   */
  onSuperseded?: (by: MemberInfo) => void;
}

export interface NodeService {
  beforeStop?(): Promise<void>;
  afterStop?(): Promise<void>;
}

/**
 * A job that runs on exactly one node at a time: the node holding the shard the job's
 * name hashes to. It moves with that shard's lease, so it fails over and hands off the
 * same way entities do, and it is stopped before the lease is released.
 */
export interface Singleton {
  name: string;
  start(): { stop(): Promise<void> };
}

export interface NodeStats extends HostStats {
  nodeId: string;
  leasesHeld: number;
  shards: number[];
}

export class ClusterNode {
  private readonly host: EntityHost;
  private readonly subs = new Map<number, Subscription>();
  private readonly handingOff = new Map<number, Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly watchers: { stop(): void }[] = [];
  private leaseWatch: { restart(): void } | undefined;
  private readonly runningSingletons = new Map<string, { stop(): Promise<void> }>();
  private outbox: [Msg, Uint8Array][] = [];
  private readonly pacer: WritePacer;
  private reconciling: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  /**
   * Set once the join checks have passed. Until then no round runs: our own record, or a
   * rival's, seen by the member watch during the second check would otherwise start one
   * and take shards that a refusal a moment later leaves leased to a process that exits.
   */
  private admitted = false;
  /** Joining until it first holds every shard placement gives it; Up from then on. */
  private up = false;
  private announceTimer: NodeJS.Timeout | undefined;
  private readonly unregister: (() => void)[] = [];

  private constructor(
    private readonly opts: NodeOptions,
    private readonly membership: Membership,
    private readonly leases: Leases,
    private readonly leaseBucket: TtlBucket,
  ) {
    this.pacer = pacerOf(opts.nc);
    this.host = new EntityHost({
      log: opts.log,
      mailboxLimit: opts.mailboxLimit,
      idleTimeoutMs: opts.idleTimeoutMs,
      // Checked again when an actor takes a batch: one queued before a pause must not run after it.
      isServing: (shard) => this.leases.valid(shard),
    });
    for (const def of opts.entities) this.host.register(def);
  }

  /** Joins the cluster and starts taking shards; resolves once the first round is done. */
  static async start(opts: NodeOptions): Promise<ClusterNode> {
    // Lease-path calls give up well inside a renewal interval (TTL/3), so one slow call
    // never keeps the next renewal from being tried in time.
    const callTimeoutMs = leaseCallTimeoutMs(opts.leaseTtlMs);
    const bucketOpts = { ttlMs: opts.leaseTtlMs, callTimeoutMs, log: opts.log };
    const memberBucket = await TtlBucket.open(opts.nc, { name: membersBucket(opts.cluster), ...bucketOpts });
    const leaseBucket = await TtlBucket.open(opts.nc, { name: leasesBucket(opts.cluster), ...bucketOpts });
    const self: MemberInfo = { nodeId: opts.nodeId, pid: process.pid, startedAt: new Date().toISOString() };
    let node: ClusterNode | undefined;
    // A node with another SHARDS (or protocol) would fail message by message: refuse it now.
    await assertCanJoin(memberBucket.kv, opts.shards, opts.nodeId, opts.database);
    const membership = new Membership(memberBucket, self, opts.leaseTtlMs, opts.log, () => void node?.trigger(), (by) => node?.supersededBy(by));
    node = new ClusterNode(opts, membership, new Leases(leaseBucket, opts.nodeId, opts.leaseTtlMs), leaseBucket);
    membership.describe = () => node.describe();
    node.registerGauges();
    await membership.join();
    // Again once our record is written, before any shard is taken: nodes started together
    // each passed the check above before the other had a record. One that now sees a
    // member on another database leaves (both may, which is safe; ordering them by start
    // time could keep both).
    if (opts.database) {
      try {
        await assertCanJoin(memberBucket.kv, opts.shards, opts.nodeId, opts.database);
      } catch (err) {
        await membership.leave();
        throw err;
      }
    }
    node.admitted = true;
    node.watch();
    node.answerStats();
    const tick = Math.max(100, Math.min(1000, Math.floor(opts.leaseTtlMs / 3)));
    node.timers.push(setInterval(() => void node.renewAll(), tick));
    node.timers.push(setInterval(() => node.trigger(), tick));
    node.watchers.push({ stop: ConnectionState.of(opts.nc).onReconnect(() => node.reconnected(tick)) });
    await node.trigger();
    return node;
  }

  /**
   * NATS is back (maybe a restarted server that lost its state): heartbeat and watch again
   * at once, renew what is still ours, and take shards after one heartbeat interval, once
   * the others' heartbeats are in, so shards are not grabbed by whoever reconnected first.
   */
  private reconnected(tick: number): void {
    this.opts.log.warn('NATS reconnected: renewing leases, restarting watches');
    this.membership.rewatch();
    this.leaseWatch?.restart();
    // Renewals first: a lapsed shard is let go before the heartbeat announces us (describe).
    void this.renewAll();
    void this.membership.beatNow();
    const timer = setTimeout(() => void this.trigger(), tick);
    timer.unref();
  }

  /** Leaving: handing its shards off (SIGTERM or a drain), serving no new ones. */
  get leaving(): boolean {
    return this.stopping;
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }


  ownedShards(): number[] {
    return [...this.subs.keys()].sort((a, b) => a - b);
  }

  /**
   * The owned shards whose lease is still valid by the local clock: what this node can
   * answer for now. Right after a pause past its TTL, its subscriptions are still there
   * until the next timer or message lets them go; readiness must not count them.
   */
  servingShards(): number[] {
    return this.ownedShards().filter((s) => this.leases.valid(s));
  }

  /**
   * Asks from clients in this process to shards served here, without NATS (ClusterClient.
   * deliverLocally). The shard must pass what a message from the wire passes (onMessage).
   */
  localDelivery(): LocalDelivery {
    return {
      serves: (type, shard) => this.servesLocally(type, shard),
      deliver: (type, id, shard, request) => this.deliverLocal(type, id, shard, request),
    };
  }

  /**
   * Whether `type` on `shard` is served here now: subscribed (not handed off or draining)
   * and its lease valid by the local clock. A lease found past its validity is lost here and
   * now, as onMessage does: otherwise a renewal confirmed late would revive it while asks
   * sent over NATS in the meantime were still on their way, and later local asks would
   * overtake them.
   */
  servesLocally(type: string, shard: number): boolean {
    if (!this.host.has(type) || !this.subs.has(shard)) return false;
    if (this.leases.valid(shard)) return true;
    this.lose(shard, 'lease lapsed without a confirmed renewal');
    return false;
  }

  /**
   * Delivers a request from a client in this process to an entity of a shard served here;
   * undefined when the shard is not served here (send it over NATS). The request and the
   * reply are shared with the caller, so the caller copies them (ClusterClient does).
   */
  deliverLocal(type: string, id: string, shard: number, request: WireRequest): Promise<WireReply> | undefined {
    if (!this.servesLocally(type, shard)) return undefined;
    const refused = this.refusal(type, id, shard);
    return refused ? Promise.resolve(refused) : this.dispatch(type, id, shard, request);
  }

  /** Why a message for `type`/`id` on `shard` is not for this node's entities; undefined when it is. */
  private refusal(type: string, id: string, shard: number): WireReply | undefined {
    if (!this.host.has(type)) return { e: new InvalidError(`no entity type "${type}" is served here`).toWire() };
    if (shardOf(id, this.opts.shards) !== shard) {
      return { e: new InvalidError('the id does not hash to this shard: do all processes use the same SHARDS?').toWire() };
    }
    return undefined;
  }

  /** Hands a checked request to its entity: the outcomes, or the failure as the wire carries it. */
  private dispatch(type: string, id: string, shard: number, request: WireRequest): Promise<WireReply> {
    try {
      return this.host.deliver(type, id, shard, request.m, request.d).then(
        (outcomes): WireReply => ({ r: outcomes }),
        (err: unknown): WireReply => ({ e: toWireError(err) }),
      );
    } catch (failure) {
      // Answered, never thrown into the caller's turn (a NATS callback, or a local asker).
      this.opts.log.error({ err: failure, type, id }, 'entity message handler threw');
      return Promise.resolve({ e: toWireError(failure) });
    }
  }

  stats(): NodeStats {
    const shards = this.ownedShards();
    return { nodeId: this.opts.nodeId, leasesHeld: this.leases.heldShards().length, shards, ...this.host.stats() };
  }

  actorsByType(): Record<string, number> {
    return this.host.actorsByType();
  }

  membersView(): MemberInfo[] {
    return this.membership.members();
  }

  shardOwners(): Promise<Record<number, string>> {
    return this.leases.owners(this.opts.shards);
  }

  /**
   * This node's record in the members bucket beyond id and pid (read by cluster/status.ts),
   * made as each heartbeat is written. Shards whose lease lapsed are let go first, so
   * their unsubscribes reach NATS ahead of the heartbeat. A node resumed after a pause past
   * its TTL still has its old subscriptions on the server; its heartbeat makes the node
   * that took its shards hand them back, and a request that arrived after that hand-off
   * but before our unsubscribe went to us alone, was dropped here (onMessage), and its
   * caller waited out its whole deadline (a fault audit: cart adds timing out at 5.4 s
   * right after SIGCONT).
   */
  private describe(): Partial<MemberInfo> {
    this.loseLapsed();
    const held = this.ownedShards();
    if (!this.up && !this.stopping) {
      const live = this.membership.liveNodes();
      if (!live.includes(this.opts.nodeId)) live.push(this.opts.nodeId);
      const wanted = Array.from({ length: this.opts.shards }, (_, s) => s).filter((s) => rendezvousOwner(s, live) === this.opts.nodeId);
      this.up = wanted.every((s) => this.subs.has(s));
    }
    const { actors, mailboxDepth } = this.host.stats();
    return {
      host: hostname(),
      version: this.opts.version ?? 'unknown',
      role: this.opts.role ?? 'node',
      status: this.stopping ? 'Leaving' : this.up ? 'Up' : 'Joining',
      shardCount: this.opts.shards,
      protocol: clusterProtocol,
      ...(this.opts.database ? { database: this.opts.database } : {}),
      held,
      actors,
      mailboxDepth,
      singletons: [...this.runningSingletons.keys()].sort(),
    };
  }

  /** Shards moved: tell the cluster soon (one heartbeat for a burst of moves), not at the next beat. */
  private announceSoon(): void {
    if (this.announceTimer) return;
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      this.membership.announce().catch(() => undefined);
    }, 50);
  }

  private registerGauges(): void {
    const stats = () => this.host.stats();
    this.unregister.push(
      gaugeSource('shop_mailbox_depth', 'Messages queued in this node\'s actor mailboxes', [], () => stats().mailboxDepth),
      gaugeSource('shop_actors', 'Live entity actors on this node', [], () => stats().actors),
      gaugeSource('shop_leases_held', 'Shard leases this node holds', [], () => this.leases.heldShards().length),
      counterSource('shop_crossed_replies_total', 'Entity answers that reached a delivery they were not for and were refused (0 unless actor reply addressing breaks)', [], () => stats().crossedReplies),
    );
  }

  private answerStats(): void {
    const sub = this.opts.nc.subscribe(statsSubject(this.opts.cluster), {
      callback: (err, msg) => {
        if (!err) msg.respond(new TextEncoder().encode(JSON.stringify({ ...this.stats(), actorsByType: this.actorsByType() })));
      },
    });
    this.watchers.push({ stop: () => sub.unsubscribe() });
  }

  /** A change seen in the buckets, or the timer: run a reconcile round (one at a time). */
  private trigger(): Promise<void> {
    if (this.stopping || !this.admitted) return Promise.resolve();
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcile();
        } catch (err) {
          this.opts.log.warn({ err }, 'reconcile failed; retrying on the next tick');
        }
      } while (this.again && !this.stopping);
      this.reconciling = undefined;
    })();
    return this.reconciling;
  }

  private watch(): void {
    // A lease deleted (hand-off) should be taken at once, not on the next tick. Keys that
    // expire produce no event, which is why the timer exists too. Membership changes
    // trigger a round through the Membership's own watch.
    const watch = keepWatching({
      bucket: this.leaseBucket,
      include: KvWatchInclude.UpdatesOnly,
      log: this.opts.log,
      onEntry: (entry) => {
        if (entry.operation !== 'PUT') void this.trigger();
      },
    });
    this.leaseWatch = watch;
    this.watchers.push(watch);
  }

  private async reconcile(): Promise<void> {
    const live = this.membership.liveNodes();
    if (!live.includes(this.opts.nodeId)) live.push(this.opts.nodeId);
    const wanted: number[] = [];
    for (let shard = 0; shard < this.opts.shards; shard++) {
      const mine = rendezvousOwner(shard, live) === this.opts.nodeId;
      const held = this.leases.holds(shard);
      if (held && !mine && !this.handingOff.has(shard)) this.handOff(shard);
      else if (!held && mine && !this.handingOff.has(shard)) wanted.push(shard);
    }
    await Promise.all(wanted.map(async (shard) => {
      if (this.stopping) return;
      if (await this.leases.acquire(shard)) {
        if (this.stopping) return this.leases.release(shard);
        this.serve(shard);
      }
    }));
  }

  /**
   * Time ran out without a confirmed renewal (NATS unreachable, or this process was
   * paused): stop serving those shards now, whether or not a renewal failed.
   */
  private loseLapsed(): void {
    for (const shard of this.leases.lapsed()) this.lose(shard, 'lease lapsed without a confirmed renewal');
  }

  private async renewAll(): Promise<void> {
    this.loseLapsed();
    await Promise.all(this.leases.heldShards().map(async (shard) => {
      const started = performance.now();
      const renewed = await this.leases.renew(shard);
      clusterMetrics.leaseRenewSeconds.observe((performance.now() - started) / 1000);
      if (!renewed) this.lose(shard);
    }));
  }

  private serve(shard: number): void {
    const subject = shardWildcard(this.opts.cluster, shard);
    // Not a queue group: a node paused (SIGSTOP) keeps its subscription on the server until
    // the server gives up on it, and a queue group would hand it half of the new owner's
    // messages meanwhile. Every subscriber gets every message instead, and one whose lease
    // lapsed drops them unanswered (onMessage), so only the owner answers.
    const sub = this.opts.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.onMessage(shard, msg);
        } catch (failure) {
          // A throw here would close the subscription and orphan the shard: answer instead.
          this.opts.log.error({ err: failure, subject: msg.subject }, 'entity message handler threw');
          if (msg.reply) msg.respond(encode({ e: toWireError(failure) }));
        }
      },
    });
    this.subs.set(shard, sub);
    clusterMetrics.shardMoves.inc({ kind: 'acquired' });
    this.announceSoon();
    this.host.openShard(shard);
    this.opts.log.debug({ shard }, 'serving shard');
    for (const job of this.singletonsOn(shard)) {
      try {
        this.runningSingletons.set(job.name, job.start());
        this.opts.log.info({ job: job.name, shard }, 'singleton started');
      } catch (err) {
        this.opts.log.error({ err, job: job.name }, 'singleton failed to start');
      }
    }
  }

  private singletonsOn(shard: number): Singleton[] {
    return (this.opts.singletons ?? []).filter((job) => shardOf(job.name, this.opts.shards) === shard);
  }

  private async stopSingletons(shard: number): Promise<void> {
    await Promise.all(this.singletonsOn(shard).map(async (job) => {
      const running = this.runningSingletons.get(job.name);
      this.runningSingletons.delete(job.name);
      await running?.stop().catch((err: unknown) => this.opts.log.warn({ err, job: job.name }, 'singleton stop failed'));
    }));
  }

  /**
   * Replies made during one turn of the event loop go out together: each actor answers in
   * its own callback, and answering each at once cost a socket write per reply.
   */
  private respondSoon(msg: Msg, body: WireReply, framed = false): void {
    if (!msg.reply) return;
    this.outbox.push([msg, encodeReply(body, framed)]);
    if (this.outbox.length > 1) return;
    setImmediate(() => {
      const replies = this.outbox;
      this.outbox = [];
      this.pacer.run(() => {
        for (const [m, data] of replies) m.respond(data);
      }, replies.length);
    });
  }

  private onMessage(shard: number, msg: Msg): void {
    if (!this.leases.valid(shard)) {
      // Delivered after our lease lapsed (buffered in the socket while we were paused):
      // the new owner got it too and answers it; an answer from here would come from
      // stale memory, and even "unavailable" would make the caller send it twice.
      if (this.leases.holds(shard) || this.subs.has(shard)) this.lose(shard, 'lease lapsed without a confirmed renewal');
      return;
    }
    const addr = parseEntitySubject(msg.subject);
    if (!addr) return this.respondSoon(msg, { e: new InvalidError(`no entity type serves ${msg.subject}`).toWire() });
    const refused = this.refusal(addr.type, addr.id, shard);
    if (refused) return this.respondSoon(msg, refused);
    let request: WireRequest;
    try {
      request = decodeRequest(msg.data);
    } catch (err) {
      return this.respondSoon(msg, { e: toWireError(err) });
    }
    void this.dispatch(addr.type, addr.id, shard, request).then((reply) => this.respondSoon(msg, reply, request.f === 1));
  }

  /** Graceful hand-over: stop taking messages, let the actors finish and flush, release. */
  private handOff(shard: number): Promise<void> {
    const running = this.handingOff.get(shard);
    if (running) return running;
    const work = (async () => {
      const started = Date.now();
      const sub = this.subs.get(shard);
      this.subs.delete(shard);
      try {
        await this.stopSingletons(shard);
        if (sub) await sub.drain();
        // Bounded: see drainShard. A straggler's writes are fenced by the next owner's claim.
        await this.host.drainShard(shard, { graceMs: 500, stopWaitMs: 1000 });
      } catch (err) {
        this.opts.log.warn({ err, shard }, 'drain failed; releasing anyway');
      }
      await this.leases.release(shard);
      // The shard answers nobody from the drain to the new owner's subscribe: a slow one is worth a line.
      const tookMs = Date.now() - started;
      if (tookMs > 1000) this.opts.log.warn({ shard, tookMs }, 'slow shard hand-off');
      clusterMetrics.shardMoves.inc({ kind: 'handed_off' });
      this.announceSoon();
      this.opts.log.debug({ shard }, 'handed off shard');
    })().finally(() => this.handingOff.delete(shard));
    this.handingOff.set(shard, work);
    return work;
  }

  /**
   * A later process of our NODE_ID was admitted while we were paused: serve nothing more,
   * take nothing, and leave its record alone (the membership has stopped heartbeating).
   * Our leases lapsed in the pause; what we had not noticed yet is given up here. The
   * process is then told to exit (`onSuperseded`): staying, it would poll for shards
   * forever, and a drain or a graceful stop of "its" id would act on the replacement.
   */
  supersededBy(by: MemberInfo): void {
    if (this.stopping) return;
    this.stopping = true;
    this.opts.log.error({ nodeId: this.opts.nodeId, by: { pid: by.pid, startedAt: by.startedAt, host: by.host } },
      'another process took this NODE_ID while this one was paused; serving nothing more');
    for (const shard of this.leases.heldShards()) this.lose(shard, 'NODE_ID taken by a later process');
    for (const t of this.timers) clearInterval(t);
    this.opts.onSuperseded?.(by);
  }

  /** The lease is gone (expired, taken or lapsed): stop serving at once; fencing guards the store. */
  private lose(shard: number, reason = 'renewal refused'): void {
    if (this.handingOff.has(shard)) return;
    this.opts.log.warn({ shard, reason }, 'lost shard lease');
    clusterMetrics.shardMoves.inc({ kind: 'lost' });
    this.announceSoon();
    this.leases.forget(shard);
    const sub = this.subs.get(shard);
    this.subs.delete(shard);
    sub?.unsubscribe();
    void this.stopSingletons(shard);
    void this.host.stopShard(shard);
  }

  /**
   * Leaves the cluster gracefully: others are told at once, each shard is drained and
   * released (leases keep being renewed meanwhile), then the actors are closed.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const services = this.opts.services ?? [];
    // Seen as Leaving at once (cluster status), before the record goes with leave().
    await this.membership.announce().catch(() => undefined);
    await Promise.all(services.map((svc) => svc.beforeStop?.()));
    await this.reconciling;
    await this.membership.leave();
    const shards = new Set([...this.leases.heldShards(), ...this.handingOff.keys()]);
    await Promise.all([...shards].map((s) => this.handOff(s)));
    for (const t of this.timers) clearInterval(t);
    for (const w of this.watchers) w.stop();
    this.membership.halt();
    clearTimeout(this.announceTimer);
    for (const off of this.unregister) off();
    await this.host.close();
    for (const svc of services) await svc.afterStop?.();
  }
}
