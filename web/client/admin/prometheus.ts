// Reads Prometheus text (the gateway's /metrics) into samples, and turns two scrapes of
// counters and histograms into rates and quantiles for the dashboard's charts.

export interface Sample { name: string; labels: Record<string, string>; value: number }

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label)) labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples whose name ends with `suffix` (so a `shop_` prefix or none both match). */
export function family(samples: Sample[], suffix: string): Sample[] {
  return samples.filter((s) => s.name === suffix || s.name.endsWith(`_${suffix}`));
}

export function sum(samples: Sample[], keep: (s: Sample) => boolean = () => true): number {
  let n = 0;
  for (const s of samples) if (keep(s) && Number.isFinite(s.value)) n += s.value;
  return n;
}

/** Cumulative bucket counts by upper bound, summed over the samples kept. */
export function buckets(samples: Sample[], keep: (s: Sample) => boolean = () => true): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of samples) {
    if (!keep(s) || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    m.set(le, (m.get(le) ?? 0) + s.value);
  }
  return m;
}

/** The q-quantile (seconds) of what was observed between two bucket snapshots; undefined with no observations. */
export function quantile(before: Map<number, number> | undefined, after: Map<number, number>, q: number): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((le) => Math.max(0, (after.get(le) ?? 0) - (before?.get(le) ?? 0)));
  const total = delta[delta.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (delta[i]! >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : delta[i - 1]!;
      const inBucket = delta[i]! - below;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
  }
  return undefined;
}
