// Time buckets of the rolling counts. Every count is kept at three grains: minute buckets
// (kept 2 h), hour buckets (kept 26 h) and day buckets (kept 8 days); a window is the union
// of the newest buckets of one grain: hour = 60 minute buckets, day = 24 hour buckets,
// week = 7 day buckets. Buckets expire by themselves (EXPIREAT from the bucket's end), so
// memory stays bounded by time, not by the number of events.

import { controlCharacters } from '../../stores/unicode.ts';

export type Grain = 'm' | 'h' | 'd';
export type Window = 'hour' | 'day' | 'week';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const span: Record<Grain, number> = { m: MINUTE, h: HOUR, d: DAY };
/** How long a bucket outlives its end: a little more than the longest window that reads it. */
const keepAfterEnd: Record<Grain, number> = { m: HOUR + 5 * MINUTE, h: DAY + 2 * HOUR, d: 7 * DAY + 2 * HOUR };
const windowGrain: Record<Window, { grain: Grain; buckets: number }> = {
  hour: { grain: 'm', buckets: 60 },
  day: { grain: 'h', buckets: 24 },
  week: { grain: 'd', buckets: 7 },
};

export const bucketOf = (grain: Grain, at: number): number => Math.floor(at / span[grain]);

/** When a bucket's key may go: its end plus what the longest window needs (seconds since the epoch). */
export const expireAtSec = (grain: Grain, bucket: number): number => Math.ceil(((bucket + 1) * span[grain] + keepAfterEnd[grain]) / 1000);

/** The buckets a window reads at `now`, newest first, and the start of the oldest. */
export function windowBuckets(window: Window, now: number): { grain: Grain; buckets: number[]; since: number } {
  const { grain, buckets } = windowGrain[window];
  const newest = bucketOf(grain, now);
  const list = Array.from({ length: buckets }, (_, i) => newest - i);
  return { grain, buckets: list, since: (newest - buckets + 1) * span[grain] };
}

/** The grain a window is read from (writers count at every grain a reader uses). */
export const grainOf = (window: Window): Grain => windowGrain[window].grain;

/**
 * Lower-cased, trimmed, inner whitespace collapsed: "  Wireless   HEADPHONES " → "wireless
 * headphones"; in Unicode's composed form (NFC), so "éclair" typed with a combining accent
 * counts with the one typed with "é".
 */
export function normaliseQuery(q: string): string {
  // Control characters count as white space: a NUL or a terminal escape sequence had been
  // listed in top-searches and printed by the report.
  return q.normalize('NFC').replace(controlCharacters, ' ').trim().toLowerCase().replace(/\s+/g, ' ');
}
