// The homepage builder, a cluster singleton on the actor nodes: the one writer of region
// documents, and the one place pages are built. Builds run one at a time (a write and a
// build never interleave, so an older build never overwrites a newer page) and happen on a
// document change, when a gateway reports a missing key, on stock, catalog and sales events
// (debounced), periodically, and when an admin asks.
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { UnavailableError, type Singleton } from '../../cluster/index.ts';
import type { DocumentStore } from '../../stores/documents/index.ts';
import { ordersStream } from '../../stores/events/index.ts';
import type { Pool } from '../../stores/mysql/index.ts';
import { asyncSingleton, serveService } from '../catalog/index.ts';
import { buildRegion, writeRouting, type BuildDeps } from './build.ts';
import { startCardsProjection } from './cards.ts';
import { CatalogSource } from './catalog-source.ts';
import { isPlatform, regionPattern, type RegionDocumentInput } from './document.ts';
import { homepageKeys, homepageSubjects } from './keys.ts';
import type { ShopperSignals } from './signals.ts';
import { RegionStore, catalogProblems, putRegion, type PutResult } from './writer.ts';
import { orAfter } from '../../cluster/or-after.ts';

export interface HomepageBuilderDeps {
  nc: NatsConnection;
  cluster: string;
  redis: Redis;
  documents: DocumentStore;
  pool: Pool;
  signals: ShopperSignals;
  log: Logger;
  /** Quiet time after stock/sales/catalog events before a rebuild (a flash sale must not rebuild per sale). */
  debounceMs?: number;
  /** A rebuild happens at least this often while events keep coming. */
  maxWaitMs?: number;
  /** Everything is rebuilt this often anyway (trending moves without stock events). */
  periodicMs?: number;
}

export type RebuildReason = 'document' | 'miss' | 'events' | 'periodic' | 'asked' | 'start';

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'EPIPE']);

/** A store that cannot be reached is "try again" (503) for the admin, not an internal error. */
function unavailableIfDown<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && connectionCodes.has(code)) throw new UnavailableError(`the homepage store is not reachable (${code}); retry shortly`, { cause: err });
    throw err;
  });
}

export function homepageBuilder(deps: HomepageBuilderDeps): Singleton {
  return asyncSingleton('homepage-builder', deps.log, () => startBuilder(deps));
}

async function startBuilder(deps: HomepageBuilderDeps): Promise<{ stop(): Promise<void> }> {
  const keys = homepageKeys(deps.cluster);
  const subjects = homepageSubjects(deps.cluster);
  const catalog = new CatalogSource(deps);
  const regions = new RegionStore(deps.documents);
  const build: BuildDeps = { redis: deps.redis, keys, catalog, signals: deps.signals, log: deps.log };
  const encoder = new TextEncoder();

  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const run = chain.then(f);
    chain = run.catch(() => undefined);
    return run;
  };
  const announce = async (reason: RebuildReason, written: string[]) => {
    if (written.length === 0) return;
    await deps.redis.hincrby(keys.stats, `rebuilds:${reason}`, written.length);
    deps.nc.publish(subjects.built, encoder.encode(JSON.stringify({ keys: written, reason, at: Date.now() })));
  };

  const rebuildAll = (reason: RebuildReason) => serial(async () => {
    const docs = await regions.all();
    await writeRouting(build, docs);
    const written = [];
    for (const doc of docs) written.push(...await buildRegion(build, doc));
    await announce(reason, written);
    return written.length;
  });

  // A key reported missing by several gateways before its rebuild ran is rebuilt once.
  const queued = new Set<string>();
  const rebuildKey = (key: string) => {
    if (queued.has(key)) return;
    queued.add(key);
    void serial(async () => {
      queued.delete(key);
      if (key === 'routing') {
        await writeRouting(build, await regions.all());
        return announce('miss', ['routing']);
      }
      const [region = '', platform = ''] = key.split(':');
      const doc = regionPattern.test(region) && isPlatform(platform) ? await regions.get(region) : undefined;
      if (doc && isPlatform(platform)) await announce('miss', await buildRegion(build, doc, [platform]));
    }).catch((err: unknown) => deps.log.warn({ err: String(err), key }, 'homepage rebuild failed'));
  };

  // Stock, catalog and sales events: one rebuild after a quiet spell, at least every maxWaitMs.
  const debounceMs = deps.debounceMs ?? 1000;
  const maxWaitMs = deps.maxWaitMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let firstKick = 0;
  const fire = () => {
    timer = undefined;
    firstKick = 0;
    rebuildAll('events').catch((err: unknown) => deps.log.warn({ err: String(err) }, 'homepage rebuild after events failed'));
  };
  const kick = () => {
    const now = Date.now();
    if (firstKick === 0) firstKick = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, firstKick + maxWaitMs - now)));
  };

  const stops: (() => Promise<void>)[] = [];
  stops.push(serveService(deps.nc, subjects.put, deps.log, async (raw) => {
    const { region, doc } = raw as { region: string; doc: RegionDocumentInput };
    return unavailableIfDown(serial(async (): Promise<PutResult> => {
      const result = await putRegion({ regions, catalog }, region, doc);
      if ('ok' in result) {
        // Built before the answer: once the admin hears "saved", Redis holds the new pages.
        const all = await regions.all();
        await writeRouting(build, all);
        const saved = all.find((d) => d.region === region);
        if (saved) await announce('document', await buildRegion(build, saved));
      }
      return result;
    }));
  }));
  // The stored document, and what in it the catalog no longer has (shown is not what is
  // served: the page leaves those out; a PUT of it unchanged would be refused for them).
  stops.push(serveService(deps.nc, subjects.get, deps.log, async (raw) => unavailableIfDown((async () => {
    const doc = await regions.get((raw as { region: string }).region);
    if (!doc) return null;
    // The catalog asked is the nodes' search service: without it (or slow) the document
    // still shows, well inside the caller's own 5 s deadline.
    const problems = await orAfter(catalogProblems(catalog, doc, doc).catch(() => undefined), 1500, undefined);
    return problems ? { ...doc, problems } : doc;
  })())));
  stops.push(serveService(deps.nc, subjects.rebuild, deps.log, async () => ({ rebuilt: await unavailableIfDown(rebuildAll('asked')) })));
  const empty = deps.nc.subscribe(subjects.empty, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const { key } = msg.json<{ key?: unknown }>();
        if (typeof key === 'string' && key.length <= 80) rebuildKey(key);
      } catch {
        // not JSON: ignore
      }
    },
  });
  stops.push(async () => empty.unsubscribe());
  const sales = deps.nc.subscribe(ordersStream(deps.cluster).subjects, { callback: () => kick() });
  stops.push(async () => sales.unsubscribe());
  const consumers = await startCardsProjection({ nc: deps.nc, cluster: deps.cluster, redis: deps.redis, keys, log: deps.log, onChange: kick });
  for (const c of consumers) stops.push(() => c.stop());
  const periodic = setInterval(() => {
    rebuildAll('periodic').catch((err: unknown) => deps.log.warn({ err: String(err) }, 'periodic homepage rebuild failed'));
  }, deps.periodicMs ?? 30_000);
  stops.push(async () => clearInterval(periodic));
  rebuildAll('start').catch((err: unknown) => deps.log.warn({ err: String(err) }, 'homepage build at start failed'));

  return {
    async stop() {
      if (timer) clearTimeout(timer);
      for (const s of stops) await s().catch(() => undefined);
      await chain;
    },
  };
}
