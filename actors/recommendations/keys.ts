// Redis key names of the recommendation model and its outputs.
export class RecKeys {
  readonly p: string;

  constructor(cluster: string) {
    this.p = `${cluster}:rec`;
  }

  /** A shopper's (user's or device's) recent views, entries "at:sku", newest first: the viewing session. */
  recent = (actor: string) => `${this.p}:recent:${actor}`;
  /** A user's past purchases, entries "at:sku". */
  purchases = (userId: string) => `${this.p}:plist:${userId}`;
  /** Prefixes of the co-occurrence sets: `<prefix><sku>` maps other SKUs to decayed co-counts. */
  readonly coViewPrefix = () => `${this.p}:co:v:`;
  readonly coBuyPrefix = () => `${this.p}:co:b:`;
  /** SKU → decayed count of views / purchases (the popularity that co-counts are normalised by). */
  popViews = () => `${this.p}:pop:v`;
  popBuys = () => `${this.p}:pop:b`;
  /** SKU → category, from the events (for hiding categories without a product lookup). */
  categories = () => `${this.p}:cat`;
  /** A user's interest per SKU (decayed, weighted by kind of event). */
  history = (userId: string) => `${this.p}:hist:${userId}`;
  /** SKUs a user bought (never recommended to them). */
  bought = (userId: string) => `${this.p}:bought:${userId}`;
  /** Precomputed outputs: a SKU's related items, a user's recommendations (JSON). */
  related = (sku: string) => `${this.p}:rel:${sku}`;
  forUser = (userId: string) => `${this.p}:user:${userId}`;
  /** SKUs whose co-occurrences changed since their related list was last computed. */
  dirty = () => `${this.p}:dirty`;
  /** What a user hid: members "c:<category>" and "s:<sku>", plus the marker "loaded". */
  hidden = (userId: string) => `${this.p}:hidden:${userId}`;
}
