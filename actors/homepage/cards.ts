// Product cards in Redis for the per-request `for_you` block: title, price and category per
// SKU (from the CATALOG stream) and units available (from the INVENTORY stream), so a
// personal block costs Redis reads only. Both are durable consumers: rebuildable by replay.
import type { NatsConnection } from 'nats';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { catalogStream, consumeBatches, ensureStream, inventoryStream, type RunningConsumer } from '../../stores/events/index.ts';
import type { CatalogEvent } from '../catalog/index.ts';
import { stockStatus, type StockStatus } from '../inventory/index.ts';
import type { HomepageKeys } from './keys.ts';
import { levelArgs, levelOf, newestLevelScript, type LevelEvent } from '../inventory/level-script.ts';

export interface Card {
  sku: string; title: string; price: number; currency: string; category: string; stock: StockStatus;
  /** The card as a block's product (sku, title, price, currency, stock), encoded once when read. */
  productJson: string;
}

interface Held { card: Card | undefined; at: number }

/**
 * Cards for the per-request block. Each card is kept in the process and re-read in the
 * background once older than `refreshMs` (as the gateway's copy of the page is), so a personal
 * homepage costs no card read: bench:homepage showed the three 48-field reads per request as
 * a quarter of the gateway's time on that path. A card in use is about refreshMs behind the
 * stock level, like the page's own flash-sale block, and never more than four times that.
 */
export class ProductCards {
  private readonly held = new Map<string, Held>();
  private readonly stale = new Set<string>();
  private refreshing = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: HomepageKeys,
    private readonly oosKey: string,
    private readonly refreshMs: number,
    private readonly maxHeld = 100_000,
  ) {}

  /**
   * Cards of the SKUs that exist, in the given order: from memory, else one round trip. A
   * card older than refreshMs is answered and re-read behind the answer; one older than four
   * times that (a gateway that sat idle) is read before answering, like one never seen.
   */
  async get(skus: string[]): Promise<Card[]> {
    if (skus.length === 0) return [];
    const now = Date.now();
    const unknown: string[] = [];
    for (const sku of skus) {
      const h = this.held.get(sku);
      if (!h || now - h.at >= this.refreshMs * 4) unknown.push(sku);
      else if (now - h.at >= this.refreshMs) this.stale.add(sku);
    }
    const found = unknown.length > 0 ? await this.read(unknown) : undefined;
    const readNow = found ? new Set(unknown) : undefined;
    // From what was just read, else from memory (before keep() may empty it to stay bounded).
    const cards: Card[] = [];
    for (const sku of skus) {
      const card = readNow?.has(sku) ? found!.get(sku) : this.held.get(sku)?.card;
      if (card) cards.push(card);
    }
    if (found) this.keep(found, unknown, now);
    if (this.stale.size > 0 && !this.refreshing) void this.refresh();
    return cards;
  }

  /** Re-reads every stale card in one round trip; a failure keeps the copies in hand. */
  private async refresh(): Promise<void> {
    this.refreshing = true;
    const skus = [...this.stale];
    this.stale.clear();
    try {
      this.keep(await this.read(skus), skus, Date.now());
    } catch {
      // Redis unreachable: the cards in hand still answer; the next request tries again.
    } finally {
      this.refreshing = false;
    }
  }

  private keep(found: Map<string, Card>, skus: string[], at: number): void {
    if (this.held.size + skus.length > this.maxHeld) this.held.clear();
    for (const sku of skus) this.held.set(sku, { card: found.get(sku), at });
  }

  private async read(skus: string[]): Promise<Map<string, Card>> {
    const [cards, available, oos] = await Promise.all([
      this.redis.hmget(this.keys.cards, ...skus),
      this.redis.hmget(this.keys.available, ...skus),
      this.redis.smismember(this.oosKey, ...skus),
    ]);
    const out = new Map<string, Card>();
    skus.forEach((sku, i) => {
      const raw = cards[i];
      if (!raw) return;
      const c = JSON.parse(raw) as Omit<Card, 'sku' | 'stock'>;
      const units = available[i];
      const stock: StockStatus = oos[i] === 1 ? 'out_of_stock' : units != null ? stockStatus(Number(units)) : 'in_stock';
      const productJson = JSON.stringify({ sku, title: c.title, price: c.price, currency: c.currency, stock });
      out.set(sku, { sku, title: c.title, price: c.price, currency: c.currency, category: c.category, stock, productJson });
    });
    return out;
  }
}

/**
 * Levels applied newest-wins (newestLevelScript; KEYS[1] the available units per SKU,
 * KEYS[2] the versions), as the out-of-stock set applies them: after a crash, a durable
 * consumer's new owner applied the events the old one held last, and an old level
 * overwrote a newer one until the SKU's next event.
 */
const applyLevels = newestLevelScript(`redis.call('HSET', KEYS[1], sku, ARGV[i + 1])`);

/** Starts the two consumers that keep the cards; `onChange` hears of every applied batch. */
export async function startCardsProjection(deps: { nc: NatsConnection; cluster: string; redis: Redis; keys: HomepageKeys; log: Logger; onChange(): void }): Promise<RunningConsumer[]> {
  const jsm = await deps.nc.jetstreamManager();
  const js = deps.nc.jetstream();
  const catalog = catalogStream(deps.cluster);
  const inventory = inventoryStream(deps.cluster);
  await ensureStream(jsm, catalog);
  await ensureStream(jsm, inventory);
  // Each stream's batch becomes one Redis pipeline; the page rebuilds once per batch.
  const project = <E>(stream: string, durable: string, apply: (p: ChainableCommander, event: E) => void) => consumeBatches({
    js, jsm, stream, durable, log: deps.log, maxBatch: 1000,
    async handle(batch) {
      const p = deps.redis.pipeline();
      for (const m of batch) apply(p, m.json<E>());
      await p.exec();
      deps.onChange();
    },
  });
  const cards = await project<CatalogEvent>(catalog.name, 'homepage-cards', (p, e) => {
    if (e.kind === 'product') {
      const { sku, title, price, currency, category } = e.product;
      p.hset(deps.keys.cards, sku, JSON.stringify({ title, price, currency, category }));
    } else {
      p.hdel(deps.keys.cards, e.sku);
    }
  });
  const stock = await consumeBatches({
    js, jsm, stream: inventory.name, durable: 'homepage-stock', log: deps.log, maxBatch: 1000,
    async handle(batch) {
      const args = levelArgs(batch.flatMap((m) => levelOf(m.json<LevelEvent>()) ?? []));
      if (args.length > 0) await deps.redis.eval(applyLevels, 2, deps.keys.available, deps.keys.availableVersions, ...args);
      deps.onChange();
    },
  });
  return [cards, stock];
}
