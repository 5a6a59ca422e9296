import { describe, expect, it } from 'vitest';
import { bucketsFor, histogramQuantile, parseExposition } from '../src/index.js';

// Cumulative buckets: 10 observations ≤ 0.1, 30 ≤ 0.25 (20 in (0.1, 0.25]), 40 ≤ 0.5 (10 in (0.25, 0.5]),
// 40 ≤ 1, and 50 in total (10 above 1).
const B = [
  { le: 0.1, count: 10 },
  { le: 0.25, count: 30 },
  { le: 0.5, count: 40 },
  { le: 1, count: 40 },
  { le: Infinity, count: 50 },
];

describe('histogramQuantile (PromQL rules)', () => {
  it('interpolates linearly inside the bucket that holds the rank', () => {
    // q=0.5: rank = 0.5 × 50 = 25. First cumulative count ≥ 25 is le=0.25 (30). Previous bucket: le=0.1, count 10.
    // 0.1 + (0.25 − 0.1) × (25 − 10) / (30 − 10) = 0.1 + 0.15 × 0.75 = 0.2125
    expect(histogramQuantile(0.5, B)).toBeCloseTo(0.2125, 12);
    // q=0.7: rank 35 → bucket le=0.5 (40), previous le=0.25 (30): 0.25 + 0.25 × (35 − 30) / 10 = 0.375
    expect(histogramQuantile(0.7, B)).toBeCloseTo(0.375, 12);
    // q=0.8: rank 40 → first count ≥ 40 is le=0.5 (not 1): 0.25 + 0.25 × (40 − 30) / 10 = 0.5
    expect(histogramQuantile(0.8, B)).toBeCloseTo(0.5, 12);
  });

  it('uses 0 as the lower bound of the first bucket', () => {
    // q=0.1: rank 5 → le=0.1 (10), no previous bucket: 0 + 0.1 × 5 / 10 = 0.05
    expect(histogramQuantile(0.1, B)).toBeCloseTo(0.05, 12);
    // q=0.2: rank 10 → le=0.1 exactly full: 0.1 × 10 / 10 = 0.1
    expect(histogramQuantile(0.2, B)).toBeCloseTo(0.1, 12);
  });

  it('returns the highest finite upper bound when the rank falls in +Inf', () => {
    // q=0.95: rank 47.5 > 40 (le=1), so it lies in (1, +Inf] → 1
    expect(histogramQuantile(0.95, B)).toBe(1);
    expect(histogramQuantile(1, B)).toBe(1);
  });

  it('returns NaN for an empty histogram, a missing +Inf bucket or fewer than two buckets', () => {
    expect(histogramQuantile(0.5, B.map((b) => ({ ...b, count: 0 })))).toBeNaN();
    expect(histogramQuantile(0.5, B.slice(0, 4))).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 3 }])).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
  });

  it('maps q outside [0, 1] to ∓Inf and a NaN q to NaN', () => {
    expect(histogramQuantile(-0.1, B)).toBe(-Infinity);
    expect(histogramQuantile(1.1, B)).toBe(Infinity);
    expect(histogramQuantile(NaN, B)).toBeNaN();
  });

  it('sorts unsorted input, merges equal bounds and makes counts monotonic', () => {
    const shuffled = [B[3]!, B[0]!, B[4]!, B[2]!, B[1]!];
    expect(histogramQuantile(0.5, shuffled)).toBeCloseTo(0.2125, 12);
    // le=0.1 split in two series of 4 and 6 (like two otel_scope_name values) is the same as one of 10.
    const split = [{ le: 0.1, count: 4 }, { le: 0.1, count: 6 }, ...B.slice(1)];
    expect(histogramQuantile(0.5, split)).toBeCloseTo(0.2125, 12);
    // A dip (le=0.5 reads 25 < 30) is raised to 30: q=0.5, rank 25 → le=0.25 still: 0.2125.
    // q=0.7, rank 35: le=0.5 is now 30 < 35, le=1 is 40 → 0.5 + 0.5 × (35 − 30) / 10 = 0.75
    const dip = B.map((b) => (b.le === 0.5 ? { le: 0.5, count: 25 } : b));
    expect(histogramQuantile(0.5, dip)).toBeCloseTo(0.2125, 12);
    expect(histogramQuantile(0.7, dip)).toBeCloseTo(0.75, 12);
  });

  it('returns the first bound itself when it is ≤ 0 and the rank is in the first bucket', () => {
    expect(histogramQuantile(0.1, [{ le: -1, count: 5 }, { le: Infinity, count: 10 }])).toBe(-1);
  });
});

describe('bucketsFor', () => {
  it('sums the buckets of every series matching the filter, per le, sorted', () => {
    const e = parseExposition(
      [
        'h_bucket{model="a",otel_scope_name="x",le="0.1"} 1',
        'h_bucket{model="a",otel_scope_name="x",le="+Inf"} 2',
        'h_bucket{model="a",otel_scope_name="y",le="+Inf"} 5',
        'h_bucket{model="a",otel_scope_name="y",le="0.1"} 3',
        'h_bucket{model="b",le="0.1"} 100',
        'h_bucket{model="b",le="+Inf"} 100',
        'h_count{model="a"} 7',
      ].join('\n'),
    );
    expect(bucketsFor(e, 'h', { model: 'a' })).toEqual([
      { le: 0.1, count: 4 },
      { le: Infinity, count: 7 },
    ]);
    expect(bucketsFor(e, 'h')).toEqual([
      { le: 0.1, count: 104 },
      { le: Infinity, count: 107 },
    ]);
    expect(bucketsFor(e, 'nope', { model: 'a' })).toEqual([]);
  });
});
