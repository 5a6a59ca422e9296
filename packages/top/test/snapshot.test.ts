import { describe, expect, it } from 'vitest';
import { bucketCounts, counterResets, parseExposition } from '../src/index.js';
import { computePoint } from '../src/web/snapshot.js';

/** A scrape of model "a": request counters by status, a TTFT histogram and a queue-wait histogram. */
function scrape(requests: Record<string, number>, ttft: [string, number][], wait: [string, number][], extra: string[] = []): string {
  return [
    '# TYPE ryot_inference_requests_total counter',
    ...Object.entries(requests).map(([status, n]) => `ryot_inference_requests_total{model="a",status="${status}"} ${n}`),
    '# TYPE ryot_inference_ttft_seconds histogram',
    ...ttft.map(([le, n]) => `ryot_inference_ttft_seconds_bucket{model="a",le="${le}"} ${n}`),
    '# TYPE ryot_inference_queue_wait_seconds histogram',
    ...wait.map(([le, n]) => `ryot_inference_queue_wait_seconds_bucket{model="a",le="${le}"} ${n}`),
    ...extra,
    '',
  ].join('\n');
}

const before = parseExposition(
  scrape(
    { success: 10, error: 1 },
    [
      ['0.05', 4],
      ['0.1', 8],
      ['0.5', 10],
      ['+Inf', 11],
    ],
    [
      ['0.01', 0],
      ['0.1', 0],
      ['+Inf', 0],
    ],
  ),
);

// Two seconds later: +16 success, +2 error, and 2 cancelled (a series that did not exist before: it counts from 0).
// TTFT: 20 new observations: 10 in (0, 0.05], 5 in (0.05, 0.1], 5 in (0.1, 0.5], none above.
// Queue wait: 4 new: 2 in (0, 0.01], 2 in (0.01, 0.1].
const after = parseExposition(
  scrape(
    { success: 26, error: 3, cancelled: 2 },
    [
      ['0.05', 14],
      ['0.1', 23],
      ['0.5', 30],
      ['+Inf', 31],
    ],
    [
      ['0.01', 2],
      ['0.1', 4],
      ['+Inf', 4],
    ],
  ),
);

describe('computePoint: what the web view draws for one window', () => {
  it('gives request rates by status, p50/p95/p99 from bucket deltas and the heatmap column, by hand', () => {
    const point = computePoint(before, after, 2, 7, 1_700_000_000_000);
    expect(point).toMatchObject({ seq: 7, t: 1_700_000_000_000, windowSeconds: 2, parseErrors: 0, devices: [] });
    expect(point.reset).toBeUndefined();
    const a = point.models.find((m) => m.model === 'a')!;
    // 16 / 2 s, 2 / 2 s, 2 / 2 s.
    expect(a.statusRates).toEqual({ cancelled: 1, error: 1, success: 8 });
    expect(a.requestsPerSecond).toBe(10);
    // TTFT deltas, cumulative: ≤0.05: 10, ≤0.1: 15, ≤0.5: 20, +Inf: 20.
    // p50: rank 10 → ≤0.05: 0.05 × 10 / 10 = 0.05.
    expect(a.ttftP50).toBeCloseTo(0.05, 12);
    // p95: rank 19 → ≤0.5, below it 15: 0.1 + 0.4 × (19 − 15) / 5 = 0.42.
    expect(a.ttftP95).toBeCloseTo(0.42, 12);
    // p99: rank 19.8 → 0.1 + 0.4 × 4.8 / 5 = 0.484.
    expect(a.ttftP99).toBeCloseTo(0.484, 12);
    // Per-bucket counts of the window; +Inf is null in JSON.
    expect(a.heat?.ttft).toEqual([
      [0.05, 10],
      [0.1, 5],
      [0.5, 5],
      [null, 0],
    ]);
    // No ITL histogram in the exposition: no heatmap for it.
    expect(a.heat?.itl).toBeUndefined();
    // Queue wait deltas: ≤0.01: 2, ≤0.1: 4. p50: rank 2 → 0.01 × 2 / 2 = 0.01; p95: rank 3.8 → 0.01 + 0.09 × 1.8 / 2 = 0.091.
    expect(a.queueWaitP50).toBeCloseTo(0.01, 12);
    expect(a.queueWaitP95).toBeCloseTo(0.091, 12);
    // The point survives JSON (what the page receives) unchanged.
    expect(JSON.parse(JSON.stringify(point))).toEqual(point);
  });

  it('on the first scrape has gauges only: no window, no rates, no heatmap', () => {
    const point = computePoint(undefined, before, 0, 1, 1);
    expect(point.windowSeconds).toBeUndefined();
    const a = point.models.find((m) => m.model === 'a')!;
    expect(a.statusRates).toBeUndefined();
    expect(a.heat).toBeUndefined();
    expect(a.requestsPerSecond).toBeUndefined();
  });

  it('marks a counter reset (the target restarted) and counts from zero across it', () => {
    // The restarted target: 3 successes and 3 TTFTs ≤ 0.05 since it started.
    const restarted = parseExposition(
      scrape(
        { success: 3 },
        [
          ['0.05', 3],
          ['0.1', 3],
          ['0.5', 3],
          ['+Inf', 3],
        ],
        [],
      ),
    );
    const point = computePoint(after, restarted, 1, 9, 2);
    expect(point.reset).toBe(true);
    const a = point.models.find((m) => m.model === 'a')!;
    expect(a.statusRates).toEqual({ success: 3 });
    expect(a.heat?.ttft).toEqual([
      [0.05, 3],
      [0.1, 0],
      [0.5, 0],
      [null, 0],
    ]);
    // No counter went down between the first two scrapes; after the restart, success went down and the error and
    // cancelled series are gone (an OTel exporter shows them again only when they are recorded into).
    expect(counterResets(before, after, 'ryot_inference_requests_total')).toBe(0);
    expect(counterResets(after, restarted, 'ryot_inference_requests_total')).toBe(3);
  });

  it('marks a restart whose first scrape has no counters at all yet', () => {
    const fresh = parseExposition('ryot_inference_requests_in_flight{model="a"} 1\n');
    const point = computePoint(after, fresh, 1, 10, 3);
    expect(point.reset).toBe(true);
    expect(point.models.find((m) => m.model === 'a')?.statusRates).toEqual({});
  });
});

describe('bucketCounts', () => {
  it('turns cumulative buckets into per-bucket counts, raising a count that went down as histogram_quantile does', () => {
    expect(
      bucketCounts([
        { le: Infinity, count: 6 },
        { le: 0.1, count: 5 },
        { le: 0.5, count: 3 },
      ]),
    ).toEqual([
      { le: 0.1, count: 5 },
      { le: 0.5, count: 0 },
      { le: Infinity, count: 1 },
    ]);
    expect(bucketCounts([])).toEqual([]);
  });
});
