// Where the homepage lives outside a process: Redis keys and NATS subjects, per cluster.
import type { Platform } from './document.ts';

export function homepageKeys(cluster: string) {
  const base = `${cluster}:homepage`;
  return {
    /** The built page of (region, platform): JSON, no TTL (a built page stays until rebuilt). */
    page: (region: string, platform: Platform) => `${base}:page:${region}:${platform}`,
    /** Every built page (for SCAN). */
    pagePattern: `${base}:page:*`,
    /** Country → region, written with every build: `{countries: {GB: "uk"}, regions: [...]}`. */
    routing: `${base}:routing`,
    /** The rebuild guard of one key: SET NX PX, so a miss rebuilds once per interval cluster-wide. */
    guard: (key: string) => `${base}:guard:${key}`,
    /** sku → `{title, price, currency, category}`, for the per-request `for_you` block. */
    cards: `${base}:cards`,
    /** sku → units available as of the last inventory event (for `low`). */
    available: `${base}:available`,
    /** sku → the inventory version of the level in `available` (newest wins, see cards.ts). */
    availableVersions: `${base}:available:versions`,
    /** Counters the builder keeps (rebuilds by reason), read by /metrics. */
    stats: `${base}:stats`,
  };
}

export type HomepageKeys = ReturnType<typeof homepageKeys>;

export function homepageSubjects(cluster: string) {
  return {
    /** Admin writes and reads of region documents (the builder is their one writer). */
    put: `${cluster}.svc.homepage.put`,
    get: `${cluster}.svc.homepage.get`,
    /** Rebuild everything now (admin). */
    rebuild: `${cluster}.svc.homepage.rebuild`,
    /** A gateway found a key missing (and won its guard): `{key}`, "routing" or "<region>:<platform>". */
    empty: `${cluster}.evt.homepage.empty`,
    /** The builder wrote keys: `{keys, reason, versions}`. */
    built: `${cluster}.evt.homepage.built`,
  };
}
