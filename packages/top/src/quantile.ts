import { parseFloatValue, type Exposition, type Labels } from './parse.js';

export interface Bucket {
  /** Inclusive upper bound (`le`); the last bucket is +Inf. */
  readonly le: number;
  /** Cumulative count of observations ≤ le. */
  readonly count: number;
}

/**
 * The φ-quantile of a classic histogram, with the same rules as PromQL's `histogram_quantile` (promql/quantile.go,
 * bucketQuantile):
 *
 * - q < 0 → -Inf, q > 1 → +Inf, q NaN → NaN;
 * - buckets are sorted by `le`, buckets with the same `le` are merged (counts added), and counts that go down from
 *   one bucket to the next (a scrape racing an update, or a counter reset in one bucket series) are raised to the
 *   running maximum so the cumulative counts are monotonic;
 * - fewer than two buckets, or a highest bucket that is not +Inf → NaN; a total (the +Inf count) of 0 → NaN;
 * - rank = q × total; the quantile lies in the first bucket whose cumulative count ≥ rank;
 * - in the +Inf bucket → the highest finite upper bound;
 * - in the first bucket → linear between 0 and its upper bound (or the upper bound itself when it is ≤ 0);
 * - otherwise linear between the previous bucket's upper bound and this one's.
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;

  const sorted = [...buckets].filter((b) => !Number.isNaN(b.le)).sort((a, b) => a.le - b.le);
  const merged: { le: number; count: number }[] = [];
  for (const b of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ le: b.le, count: b.count });
  }
  if (merged.length < 2) return NaN;
  if (merged[merged.length - 1]!.le !== Infinity) return NaN;
  let max = -Infinity;
  for (const b of merged) {
    if (Number.isNaN(b.count)) return NaN;
    if (b.count < max) b.count = max;
    max = b.count;
  }

  const total = merged[merged.length - 1]!.count;
  if (total === 0) return NaN;
  let rank = q * total;
  // sort.Search over all but the +Inf bucket: the first index whose count ≥ rank, or the +Inf index when none.
  let b = 0;
  while (b < merged.length - 1 && merged[b]!.count < rank) b++;
  if (b === merged.length - 1) return merged[merged.length - 2]!.le;
  if (b === 0 && merged[0]!.le <= 0) return merged[0]!.le;

  let bucketStart = 0;
  const bucketEnd = merged[b]!.le;
  let count = merged[b]!.count;
  if (b > 0) {
    bucketStart = merged[b - 1]!.le;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * The cumulative buckets of histogram `metricBase` (without `_bucket`) from the series whose labels include
 * `labels`, summed per `le` across every other label (like `sum by (le) (…)`), sorted by `le`.
 */
export function bucketsFor(exposition: Exposition, metricBase: string, labels: Labels = {}): Bucket[] {
  const byLe = new Map<number, number>();
  for (const sample of exposition.get(`${metricBase}_bucket`, labels)) {
    const leText = sample.labels.le;
    if (leText === undefined) continue;
    const le = parseFloatValue(leText);
    if (le === undefined || Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/**
 * Per-bucket counts (observations in (previous le, le]) from cumulative buckets with one entry per `le` (as
 * `bucketsFor` and `bucketDeltas` return them). Cumulative counts are made monotonic first, as `histogramQuantile`
 * does, so no count comes out negative. The input of a latency heatmap column.
 */
export function bucketCounts(buckets: ReadonlyArray<Bucket>): Bucket[] {
  const sorted = buckets.filter((b) => !Number.isNaN(b.le) && !Number.isNaN(b.count)).sort((a, b) => a.le - b.le);
  let below = 0;
  return sorted.map((b) => {
    const cumulative = Math.max(below, b.count);
    const count = cumulative - below;
    below = cumulative;
    return { le: b.le, count };
  });
}
