// Latency percentiles with HdrHistogram (microsecond resolution, 3 significant digits),
// so p99.9 and max come from every sample rather than a sorted copy of them.
import * as hdr from 'hdr-histogram-js';

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class Latencies {
  private readonly h = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Percentiles in milliseconds (two decimals). */
  summary(): Percentiles {
    const ms = (us: number) => Math.round(us / 10) / 100;
    return {
      count: this.h.totalCount,
      p50: ms(this.h.getValueAtPercentile(50)),
      p99: ms(Math.min(this.h.getValueAtPercentile(99), this.h.maxValue)),
      p999: ms(Math.min(this.h.getValueAtPercentile(99.9), this.h.maxValue)),
      // (Buckets report their highest equivalent value; never above the real max.)
      max: ms(this.h.maxValue),
      mean: ms(this.h.mean),
    };
  }
}
