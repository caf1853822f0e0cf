// The gateway's side of the homepage: reads built pages and the country → region map from
// Redis only, never the document store or MariaDB. Each key is re-read at most every
// `refreshMs` (concurrent requests share one read, and meanwhile get the copy in hand), so
// under traffic a new version is everywhere within refreshMs plus a round trip; a copy
// older than `waitAfterMs` (a gateway that sat idle) is re-read before it is answered. A
// missing key is answered from the last good copy (or a built-in page) and reported to the
// builder at most once per `rebuildMinMs` across all gateways (Redis SET NX PX).
import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GeoIp } from '../../stores/geoip/index.ts';
import type { ProductCards } from './cards.ts';
import { defaultRegion, type Platform } from './document.ts';
import { homepageKeys, homepageSubjects, type HomepageKeys } from './keys.ts';
import { appendBlock, builtInPage, productSkus, underCategory, type Block, type HomePage } from './page.ts';
import type { ShopperSignals } from './signals.ts';

export type ServedSource = 'redis' | 'last_good' | 'default';

export interface ServedPage {
  json: string;
  etag: string;
  source: ServedSource;
  /** SKUs of the page's product blocks: the personal block's candidates without history. */
  fallbackSkus: string[];
}

/** A page as read, with the three ways of serving it made once (not per request). */
interface Parsed { fromRedis: ServedPage; lastGood: ServedPage; builtIn: ServedPage }

/** Weak, as every public read's (docs/api.md): the same page is sent plain, gzip or br. */
export const etagOf = (body: string) => `W/"${createHash('sha1').update(body).digest('base64url')}"`;

/**
 * How old a copy may be and still be answered while it is re-read behind the answer: four
 * times refreshMs (as the product cards, cards.ts), but never past 1.5 s, so that what an
 * idle gateway answers first is a version at most that old, inside the 2 s in which every
 * gateway serves a new one (API.md). Only a gateway that sat idle waits: under traffic the
 * copy is re-read every refreshMs.
 */
export function waitAfterMs(refreshMs: number): number {
  return Math.max(refreshMs, Math.min(4 * refreshMs, 1500));
}

/**
 * One Redis key's last good value, re-read in the background once it is older than
 * refreshMs, and before answering once it is older than `waitAfterMs`.
 */
class Memo<T> {
  private raw: string | null = null;
  value: T | undefined;
  present = false;
  private fetchedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly refreshMs: number,
    private readonly parse: (raw: string) => T,
    private readonly onMissing: () => void,
    private readonly log: Logger,
  ) {
    this.waitAfterMs = waitAfterMs(refreshMs);
  }

  private readonly waitAfterMs: number;

  /** Waits for a read when the copy in hand may not be answered (`now`), else answers at once. */
  async current(): Promise<this> {
    if (!this.now()) await (this.loading ??= this.load());
    return this;
  }

  /**
   * True when the copy in hand may be answered: the key was read (the value, or its
   * absence, is in hand) less than `waitAfterMs` ago. Starts a re-read when it is older
   * than refreshMs. No promise: the homepage's fast path answers in the same turn, which
   * bench:homepage showed worth a tenth of its time; false sends the caller to `current`.
   */
  now(): boolean {
    if (this.fetchedAt === 0) return false;
    const age = Date.now() - this.fetchedAt;
    if (!this.loading && age >= this.refreshMs) this.loading = this.load();
    return age < this.waitAfterMs;
  }

  private async load(): Promise<void> {
    try {
      const raw = await this.redis.get(this.key);
      this.present = raw !== null;
      if (raw === null) this.onMissing();
      else if (raw !== this.raw) {
        this.value = this.parse(raw);
        this.raw = raw;
      }
    } catch (err) {
      // Redis unreachable: keep serving what we have; the next request tries again.
      this.log.warn({ err: String(err), key: this.key }, 'homepage read failed; serving the copy in hand');
    } finally {
      this.fetchedAt = Date.now();
      this.loading = undefined;
    }
  }
}

export interface HomepageReaderDeps {
  redis: Redis;
  nc: NatsConnection;
  cluster: string;
  geo: GeoIp;
  signals: ShopperSignals;
  cards: ProductCards;
  log: Logger;
  /** How often a gateway re-reads a key it serves (HOMEPAGE_REFRESH_MS). */
  refreshMs: number;
  /** At most one rebuild per key per this interval, cluster-wide (HOMEPAGE_REBUILD_MIN_MS). */
  rebuildMinMs: number;
}

interface Routing { countries: Record<string, string> }

export class HomepageReader {
  private readonly keys: HomepageKeys;
  private readonly emptySubject: string;
  private readonly pages = new Map<string, Memo<Parsed>>();
  private readonly defaults = new Map<string, Parsed>();
  private readonly routing: Memo<Routing>;
  private readonly encoder = new TextEncoder();
  /** Rebuilds this gateway asked for (it won the key's guard). */
  rebuildRequests = 0;

  constructor(private readonly deps: HomepageReaderDeps) {
    this.keys = homepageKeys(deps.cluster);
    this.emptySubject = homepageSubjects(deps.cluster).empty;
    this.routing = new Memo(deps.redis, this.keys.routing, deps.refreshMs, (raw) => JSON.parse(raw) as Routing, () => this.missing('routing'), deps.log);
  }

  /** The region of a client address: the region listing its GeoIP country, else `default`. */
  async regionOf(ip: string): Promise<string> {
    const country = this.deps.geo.country(ip);
    if (!country) return defaultRegion;
    const routing = await this.routing.current();
    return routing.value?.countries[country] ?? defaultRegion;
  }

  /** The page of (region, platform) as this gateway has it. */
  async page(region: string, platform: Platform): Promise<ServedPage> {
    const memo = this.memoOf(region, platform);
    await memo.current();
    return this.served(memo, region, platform);
  }

  /**
   * The page of a client address without waiting, when this gateway has read the keys it
   * needs at least once; undefined means: use regionOf and page.
   */
  pageNow(ip: string, platform: Platform): ServedPage | undefined {
    const country = this.deps.geo.country(ip);
    let region = defaultRegion;
    if (country) {
      if (!this.routing.now()) return undefined;
      region = this.routing.value?.countries[country] ?? defaultRegion;
    }
    const memo = this.memoOf(region, platform);
    return memo.now() ? this.served(memo, region, platform) : undefined;
  }

  private memoOf(region: string, platform: Platform): Memo<Parsed> {
    const key = `${region}:${platform}`;
    let memo = this.pages.get(key);
    if (!memo) {
      memo = new Memo(this.deps.redis, this.keys.page(region, platform), this.deps.refreshMs, parsePage, () => this.missing(key), this.deps.log);
      this.pages.set(key, memo);
    }
    return memo;
  }

  private served(memo: Memo<Parsed>, region: string, platform: Platform): ServedPage {
    if (memo.value) return memo.present ? memo.value.fromRedis : memo.value.lastGood;
    const key = `${region}:${platform}`;
    let fallback = this.defaults.get(key);
    if (!fallback) {
      fallback = parsePage(JSON.stringify(builtInPage(region, platform)));
      this.defaults.set(key, fallback);
    }
    return fallback.builtIn;
  }

  /** The page with the user's `for_you` block: Redis reads only, nothing the user hid. */
  async personal(page: ServedPage, userId: string): Promise<{ json: string; etag: string }> {
    // The block's products as the cards' own JSON, encoded when each card was read: the
    // text is what JSON.stringify of the Block would give, without encoding 12 objects per request.
    const products: string[] = [];
    try {
      const { skus: recs, hidden } = await this.deps.signals.forYou(userId, 24);
      // Plain loops: this runs per signed-in request, and the filter/slice/some chain was
      // a tenth of the gateway's time on this path (bench:homepage --only personal).
      const hiddenSkus = hidden.skus.length > 0 ? new Set(hidden.skus) : undefined;
      const candidates: string[] = [];
      for (const sku of recs.length > 0 ? recs : page.fallbackSkus) {
        if (hiddenSkus?.has(sku)) continue;
        candidates.push(sku);
        if (candidates.length >= 48) break;
      }
      for (const c of await this.deps.cards.get(candidates)) {
        if (c.stock === 'out_of_stock' || (hidden.categories.length > 0 && inHidden(c.category, hidden.categories))) continue;
        products.push(c.productJson);
        if (products.length >= 12) break;
      }
    } catch (err) {
      // Personal data unreachable: the regional page still answers, with an empty personal block.
      this.deps.log.warn({ err: String(err) }, 'for_you block not available');
    }
    // The page's ETag already covers the page: hash only the personal part onto it.
    const blockJson = `${forYouHead}${products.join(',')}]}`;
    return { json: appendBlock(page.json, blockJson), etag: `${page.etag.slice(0, -1)}.${createHash('sha1').update(blockJson).digest('base64url').slice(0, 16)}"` };
  }

  /** A key was not in Redis: the first gateway to take the guard asks the builder. */
  private missing(key: string): void {
    this.deps.redis.set(this.keys.guard(key), '1', 'PX', this.deps.rebuildMinMs, 'NX').then((won) => {
      if (won !== 'OK') return;
      this.rebuildRequests++;
      this.deps.nc.publish(this.emptySubject, this.encoder.encode(JSON.stringify({ key })));
    }).catch((err: unknown) => this.deps.log.warn({ err: String(err), key }, 'homepage rebuild guard failed'));
  }
}

const forYouHead = JSON.stringify({ kind: 'for_you', title: 'For you', products: [] } satisfies Block).slice(0, -2);

function inHidden(category: string, hidden: readonly string[]): boolean {
  for (const h of hidden) if (underCategory(category, h)) return true;
  return false;
}

function parsePage(raw: string): Parsed {
  const page = { json: raw, etag: etagOf(raw), fallbackSkus: productSkus(JSON.parse(raw) as HomePage) };
  return { fromRedis: { ...page, source: 'redis' }, lastGood: { ...page, source: 'last_good' }, builtIn: { ...page, source: 'default' } };
}
