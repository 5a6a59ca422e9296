import { describe, expect, it } from 'vitest';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createTestRyot as createHarness, type TestRyot as Harness } from '@ryot/metrics/testing';
import {
  bucketsFor,
  computeDevices,
  computeModelRows,
  histogramQuantile,
  parseExposition,
  renderTable,
  sortRows,
  type ModelRow,
} from '../src/index.js';

const GiB = 1024 ** 3;

/** One request on the injected clock: first token after `ttftMs`, then one token per gap, then the outcome. */
function request(h: Harness, model: string, ttftMs: number, gapsMs: number[], status: 'success' | 'error' | 'timeout' | 'cancelled') {
  const ctx = h.api.startInference({ model });
  h.clock.advance(ttftMs);
  ctx.recordToken();
  for (const gap of gapsMs) {
    h.clock.advance(gap);
    ctx.recordToken();
  }
  ctx.end(status);
}

/**
 * llama's SLO: TTFT within 100 ms; its price: $1 000 per million output tokens ($0.001 a token). mistral has neither:
 * no goodput, no spend.
 */
const ACCOUNTING = { slo: { models: { 'llama-3-8b': { ttftSeconds: 0.1 } } }, prices: { models: { 'llama-3-8b': { inputPerMillion: 0, outputPerMillion: 1000 } } } };

/** Traffic before the first scrape: must not show in any windowed number. */
function history(h: Harness) {
  // llama: 5 slow requests (TTFT 800 ms, ITL 300 ms), 10 cache lookups all hits.
  for (let i = 0; i < 5; i++) request(h, 'llama-3-8b', 800, [300], 'success');
  h.api.recordCacheLookup({ model: 'llama-3-8b', hits: 10, lookups: 10 });
  // mistral: 2 requests, 4 cache lookups with 1 hit, then nothing more in the window.
  for (let i = 0; i < 2; i++) request(h, 'mistral-7b', 40, [], 'success');
  h.api.recordCacheLookup({ model: 'mistral-7b', hits: 1, lookups: 4 });
}

/**
 * The window between the two scrapes, for llama-3-8b:
 * - 20 requests: 16 success, 2 error, 1 timeout, 1 cancelled → ERR% = (2 + 1) / 20 = 15 %, CXL% = 1 / 20 = 5 %.
 * - TTFT: 10 × 30 ms (bucket 0.025–0.05), 8 × 70 ms (0.05–0.1), 2 × 300 ms (0.25–0.5).
 * - ITL: the 16 successes have gaps of 4 ms (0.001–0.005) and 20 ms (0.01–0.025): 32 gaps. The others have one
 *   token and no gap.
 * - tokens: 16 × 3 + 4 × 1 = 52 (failed requests count their tokens too).
 * - cache: 8 lookups, 6 hits → 75 %.
 * - goodput (TTFT ≤ 100 ms): the 16 successes had 30 or 70 ms (met); the 2 errors (70 ms), the timeout (300 ms) and the
 *   cancelled one (300 ms: it had missed its target) are not goodput → 16 / 20 = 80 %. TTFT attainment 18 / 20.
 * - spend: 52 tokens × $0.001 = $0.052 in 2 s → $93.60 an hour.
 * mistral-7b: one request left in flight, one queued ticket, no finished requests, no cache lookups.
 */
function window(h: Harness) {
  const statuses = [
    ...Array<'success'>(16).fill('success'),
    'error',
    'error',
    'timeout',
    'cancelled',
  ] as const;
  const ttfts = [...Array<number>(10).fill(30), ...Array<number>(8).fill(70), 300, 300];
  statuses.forEach((status, i) => request(h, 'llama-3-8b', ttfts[i]!, status === 'success' ? [4, 20] : [], status));
  h.api.recordCacheLookup({ model: 'llama-3-8b', hits: 6, lookups: 8 });
  for (let i = 0; i < 3; i++) h.api.enqueue('llama-3-8b');
  h.api.startInference({ model: 'mistral-7b' });
  h.api.enqueue('mistral-7b');
  h.api.updateGpuMetrics({ model: 'llama-3-8b', gpuId: 0, usedBytes: 8 * GiB, reservedBytes: 16 * GiB, utilization: 50 });
  h.api.updateGpuMetrics({ model: 'llama-3-8b', gpuId: 1, usedBytes: 4 * GiB, reservedBytes: 16 * GiB, utilization: 70 });
}

async function recorded(serializer?: PrometheusSerializer): Promise<[string, string]> {
  const h = createHarness(ACCOUNTING);
  const text = async () =>
    serializer ? serializer.serialize((await h.reader.collect()).resourceMetrics) : h.prometheusText();
  history(h);
  const first = await text();
  window(h);
  const second = await text();
  return [first, second];
}

function row(rows: ModelRow[], model: string): ModelRow {
  const found = rows.find((r) => r.model === model);
  if (!found) throw new Error(`no row for ${model}`);
  return found;
}

describe('computeModelRows on expositions recorded with @ryot/metrics', () => {
  it('computes req/s, error %, quantiles from bucket deltas, tokens/s, gauges, cache and GPU by hand', async () => {
    const [first, second] = await recorded();
    const previous = parseExposition(first);
    const current = parseExposition(second);
    expect(previous.errors).toEqual([]);
    expect(current.errors).toEqual([]);
    const rows = computeModelRows(previous, current, 2);
    expect(rows.map((r) => r.model)).toEqual(['llama-3-8b', 'mistral-7b']);

    const llama = row(rows, 'llama-3-8b');
    expect(llama.requests).toBe(20);
    expect(llama.requestsPerSecond).toBe(10); // 20 requests / 2 s
    expect(llama.errorPercent).toBeCloseTo(15, 10); // (2 error + 1 timeout) / 20
    expect(llama.cancelledPercent).toBeCloseTo(5, 10); // 1 cancelled / 20

    // TTFT bucket deltas (cumulative): ≤0.025: 0, ≤0.05: 10, ≤0.1: 18, ≤0.25: 18, ≤0.5: 20, ≤1: 20, +Inf: 20.
    // (The 5 historical 800 ms TTFTs sit in ≤1 in both scrapes and cancel out.)
    // p50: rank 0.5 × 20 = 10 → bucket ≤0.05 (count 10), below it ≤0.025 (0): 0.025 + 0.025 × (10 − 0) / 10 = 0.05
    expect(llama.ttftP50).toBeCloseTo(0.05, 10);
    // p95: rank 19 → bucket ≤0.5 (20), below it ≤0.25 (18): 0.25 + 0.25 × (19 − 18) / 2 = 0.375
    expect(llama.ttftP95).toBeCloseTo(0.375, 10);
    // p99: rank 19.8 → bucket ≤0.5 (20), below it ≤0.25 (18): 0.25 + 0.25 × 1.8 / 2 = 0.475
    expect(llama.ttftP99).toBeCloseTo(0.475, 10);
    // From the cumulative buckets instead (what a naive top would do), 25 observations: rank 23.75 lands in ≤1
    // (25), below it ≤0.5 (20): 0.5 + 0.5 × 3.75 / 5 = 0.875 — the deltas are what matters.
    expect(histogramQuantile(0.95, bucketsFor(current, 'ryot_inference_ttft_seconds', { model: 'llama-3-8b' }))).toBeCloseTo(0.875, 10);

    // ITL deltas: ≤0.001: 0, ≤0.005: 16, ≤0.01: 16, ≤0.025: 32, … +Inf: 32 (the 300 ms history gaps cancel out).
    // p50: rank 16 → ≤0.005 (16), below ≤0.001 (0): 0.001 + 0.004 × 16 / 16 = 0.005
    expect(llama.itlP50).toBeCloseTo(0.005, 10);
    // p95: rank 30.4 → ≤0.025 (32), below ≤0.01 (16): 0.01 + 0.015 × (30.4 − 16) / 16 = 0.0235
    expect(llama.itlP95).toBeCloseTo(0.0235, 10);
    // p99: rank 31.68 → 0.01 + 0.015 × (31.68 − 16) / 16 = 0.0247
    expect(llama.itlP99).toBeCloseTo(0.0247, 10);

    expect(llama.tokensPerSecond).toBe(26); // 52 tokens / 2 s
    expect(llama.inFlight).toBe(0);
    expect(llama.queueSize).toBe(3);
    // Δhits / Δlookups = (16 − 10) / (18 − 10) = 0.75 (the cumulative ratio would be 16 / 18 = 0.889).
    expect(llama.cacheHitRatio).toBe(0.75);
    expect(llama.cacheHitSource).toBe('counters');
    expect(llama.gpuMemoryUsedBytes).toBe(12 * GiB); // 8 + 4 over gpu_id 0 and 1
    expect(llama.gpuMemoryReservedBytes).toBe(32 * GiB);
    expect(llama.gpuUtilizationPercent).toBe(60); // mean of 50 and 70
    // Window deltas of ryot_goodput_requests_total (the 5 historical 800 ms TTFTs missed, but before the window).
    expect(llama.goodput).toBeCloseTo(0.8, 12);
    expect(llama.goodputJudged).toBe(20);
    expect(llama.ttftAttainment).toBeCloseTo(0.9, 12);
    expect(llama.tpotAttainment).toBeUndefined(); // no TPOT target
    expect(llama.spendPerHour).toBeCloseTo(93.6, 9);

    const mistral = row(rows, 'mistral-7b');
    expect(mistral.requestsPerSecond).toBe(0);
    expect(mistral.errorPercent).toBeUndefined(); // nothing finished: no ratio
    expect(mistral.ttftP50).toBeUndefined(); // no observation in the window: NaN → shown as '-'
    expect(mistral.tokensPerSecond).toBe(0);
    expect(mistral.inFlight).toBe(1);
    expect(mistral.queueSize).toBe(1);
    // No lookup in the window: falls back to the ryot_model_cache_hit_ratio gauge (last 60 s) = 1 / 4.
    expect(mistral.cacheHitRatio).toBe(0.25);
    expect(mistral.cacheHitSource).toBe('gauge');
    expect(mistral.gpuMemoryUsedBytes).toBeUndefined();
    expect(mistral.goodput).toBeUndefined();
    expect(mistral.spendPerHour).toBeUndefined();
  });

  it('gives the same rows with otel_scope_* labels and target_info in the exposition', async () => {
    const plain = await recorded();
    const scoped = await recorded(new PrometheusSerializer('', false, undefined, false, false));
    expect(scoped[1]).toMatch(/otel_scope_name="@ryot\/metrics"/);
    expect(scoped[1]).toMatch(/^target_info\{/m);
    const a = computeModelRows(parseExposition(plain[0]), parseExposition(plain[1]), 2);
    const b = computeModelRows(parseExposition(scoped[0]), parseExposition(scoped[1]), 2);
    expect(b).toEqual(a);
  });

  it('on the first scrape shows gauges only; rates wait for a previous scrape', async () => {
    const [first] = await recorded();
    const rows = computeModelRows(undefined, parseExposition(first), 0);
    const llama = row(rows, 'llama-3-8b');
    expect(llama.requestsPerSecond).toBeUndefined();
    expect(llama.ttftP95).toBeUndefined();
    expect(llama.tokensPerSecond).toBeUndefined();
    expect(llama.inFlight).toBe(0);
    // No counters delta yet: the gauge (10 hits / 10 lookups in the last 60 s) stands in.
    expect(llama.cacheHitRatio).toBe(1);
  });

  it('shows 0, not "-", for a model with no series of a metric that other models export', () => {
    const text = (n: number) =>
      [
        `ryot_inference_requests_total{model="busy",status="success"} ${n}`,
        `ryot_tokens_generated_total{model="busy"} ${n * 10}`,
        'ryot_inference_requests_in_flight{model="busy"} 2',
        'ryot_gpu_memory_usage_bytes{model="idle",gpu_id="0"} 1024',
      ].join('\n');
    const rows = computeModelRows(parseExposition(text(1)), parseExposition(text(5)), 2);
    expect(row(rows, 'busy')).toMatchObject({ requestsPerSecond: 2, tokensPerSecond: 20, inFlight: 2 });
    const idle = row(rows, 'idle');
    expect(idle).toMatchObject({ requestsPerSecond: 0, requests: 0, tokensPerSecond: 0, inFlight: 0, gpuMemoryUsedBytes: 1024 });
    expect(idle.errorPercent).toBeUndefined();
    // ryot_inference_queue_size is exported by nobody: unknown, not 0.
    expect(idle.queueSize).toBeUndefined();
    // Without a previous scrape the rates stay unknown; the gauge is 0 at once.
    expect(row(computeModelRows(undefined, parseExposition(text(1)), 0), 'idle')).toMatchObject({ inFlight: 0 });
    expect(row(computeModelRows(undefined, parseExposition(text(1)), 0), 'idle').requestsPerSecond).toBeUndefined();
  });

  it('handles a counter reset (the service restarted) like Prometheus: the new value is the increase', async () => {
    // Old process: the history (5 + 2 requests). New process after a restart: 3 llama requests, fresh counters.
    const [, beforeRestart] = await recorded();
    const fresh = createHarness(ACCOUNTING);
    for (let i = 0; i < 3; i++) request(fresh, 'llama-3-8b', 30, [4], 'success');
    const afterRestart = await fresh.prometheusText();
    const rows = computeModelRows(parseExposition(beforeRestart), parseExposition(afterRestart), 1);
    const llama = row(rows, 'llama-3-8b');
    // 25 → 3 went down: a reset, so the increase is 3 (not −22).
    expect(llama.requestsPerSecond).toBe(3);
    expect(llama.errorPercent).toBe(0);
    expect(llama.tokensPerSecond).toBe(6); // 3 requests × 2 tokens
    // Each bucket series resets too: 3 TTFTs of 30 ms → p50 rank 1.5 in ≤0.05 (3), below ≤0.025 (0):
    // 0.025 + 0.025 × 1.5 / 3 = 0.0375
    expect(llama.ttftP50).toBeCloseTo(0.0375, 10);
  });
});

describe('computeDevices and renderTable', () => {
  const hw = [
    '# TYPE hw_gpu_memory_usage gauge',
    'hw_gpu_memory_usage{hw_id="1",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 21474836480',
    'hw_gpu_memory_usage{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 42949672960',
    'hw_gpu_memory_limit{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 85899345920',
    'hw_gpu_memory_limit{hw_id="1",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 85899345920',
    'hw_gpu_utilization{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu",hw_gpu_task="general"} 0.78',
    'hw_gpu_utilization{hw_id="1",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 0.05',
    'hw_temperature{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 61',
    'hw_power{hw_id="0",hw_name="NVIDIA H100 80GB HBM3",hw_vendor="nvidia",hw_type="gpu"} 351.4',
  ].join('\n');

  it('reads hw_gpu_* by hw_id (0..1 utilization shown as percent)', () => {
    const devices = computeDevices(parseExposition(hw));
    expect(devices).toEqual([
      {
        id: '0',
        name: 'NVIDIA H100 80GB HBM3',
        memoryUsedBytes: 40 * GiB,
        memoryLimitBytes: 80 * GiB,
        utilizationPercent: 78,
        temperatureCelsius: 61,
        powerWatts: 351.4,
      },
      { id: '1', name: 'NVIDIA H100 80GB HBM3', memoryUsedBytes: 20 * GiB, memoryLimitBytes: 80 * GiB, utilizationPercent: 5 },
    ]);
  });

  it('renders the model rows, a total, the device section and the keys; every line fits the width', async () => {
    const [first, second] = await recorded();
    const current = parseExposition(`${second}\n${hw}\n`);
    const rows = computeModelRows(parseExposition(first), current, 2);
    const screen = renderTable(rows, computeDevices(current), { url: 'http://x:9464/metrics', intervalMs: 1000, state: 'ok', scrapeMs: 3 }, 160);
    if (process.env.SHOW_SCREEN) console.log(screen);
    const lines = screen.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(160);
    expect(lines[0]).toMatch(/^ryot top {2}http:\/\/x:9464\/metrics +every 1s$/);
    expect(lines[1]).toBe('● ok · scrape 3ms');
    const header = lines.find((l) => l.startsWith('MODEL'))!;
    expect(header.trimEnd().split(/ {2,}/)).toEqual([
      'MODEL',
      'REQ/S',
      'ERR%',
      'GOOD%',
      'TTFT p50',
      'TTFT p95',
      'ITL p50',
      'ITL p95',
      'TOK/S',
      '$/H',
      'INFL',
      'QUEUE',
      'CACHE',
      'GPU MEM',
      'GPU%',
      'CXL%',
      'E2E p95',
    ]);
    const llama = lines.find((l) => l.startsWith('llama-3-8b'))!;
    expect(llama.trim().split(/ +/).slice(0, 16)).toEqual([
      'llama-3-8b',
      '10.0',
      '15.0%',
      '80.0%',
      '50.0ms',
      '375ms',
      '5.00ms',
      '23.5ms',
      '26.0',
      '$93.60',
      '0',
      '3',
      '75.0%',
      '12G/32G',
      '60%',
      '5.0%',
    ]);
    const mistral = lines.find((l) => l.startsWith('mistral-7b'))!;
    expect(mistral.trim().split(/ +/).slice(0, 14)).toEqual(['mistral-7b', '0', '-', '-', '-', '-', '-', '-', '0', '-', '1', '1', '25.0%', '-']);
    const total = lines.find((l) => l.startsWith('TOTAL'))!;
    expect(total.trim().split(/ +/)).toEqual(['TOTAL', '10.0', '15.0%', '80.0%', '26.0', '$93.60', '1', '4', '12G/32G', '5.0%']);
    expect(screen).toMatch(/^ID +GPU +MEMORY +UTIL +TEMP +POWER *$/m);
    expect(screen).toMatch(/^0 +NVIDIA H100 80GB HBM3 +40G\/80G 50% +78.0% +61°C +351W$/m);
    expect(screen).toMatch(/^1 +NVIDIA H100 80GB HBM3 +20G\/80G 25% +5.0% +- +-$/m);
    expect(lines[lines.length - 1]).toBe('q quit  s sort (model)  p pause');
  });

  it('sorts by spend per hour', async () => {
    const [first, second] = await recorded();
    const rows = computeModelRows(parseExposition(first), parseExposition(second), 2);
    // llama spends $93.60/h, mistral nothing known: llama first, as for every key but name.
    expect(sortRows(rows, 'cost').map((r) => r.model)).toEqual(['llama-3-8b', 'mistral-7b']);
    expect(sortRows([...rows].reverse(), 'cost').map((r) => r.model)).toEqual(['llama-3-8b', 'mistral-7b']);
  });

  it('drops the least important columns on a narrow terminal and never exceeds the width', async () => {
    const [first, second] = await recorded();
    const rows = computeModelRows(parseExposition(first), parseExposition(second), 2);
    for (const width of [40, 60, 80, 100]) {
      const screen = renderTable(rows, [], { url: 'http://127.0.0.1:9464/metrics', intervalMs: 1000, state: 'ok' }, width);
      for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
    }
    const header80 = renderTable(rows, [], { url: 'u', intervalMs: 1000, state: 'ok' }, 80)
      .split('\n')
      .find((l) => l.startsWith('MODEL'))!;
    // At 80 columns the most important ones stay: rate, errors, TTFT p95, ITL p95, tokens/s.
    for (const kept of ['REQ/S', 'ERR%', 'TTFT p95', 'ITL p95', 'TOK/S']) expect(header80).toContain(kept);
    expect(header80).not.toContain('E2E p95');
  });

  it('shows an unreachable target on the status line and keeps the last rows', () => {
    const screen = renderTable(
      [{ model: 'llama-3-8b', requestsPerSecond: 1 }],
      [],
      {
        url: 'http://127.0.0.1:1/metrics',
        intervalMs: 1000,
        state: 'error',
        error: 'connection refused',
        failures: 3,
      },
      200,
    );
    expect(screen.split('\n').slice(1, 3)).toEqual([
      '✖ cannot scrape http://127.0.0.1:1/metrics: connection refused',
      '  retrying every 1s (never reached, 3 failures)',
    ]);
    expect(screen).toMatch(/^llama-3-8b +1\.00/m);
  });

  it('says so when the exposition has no Ryot model series, and neutralizes control characters in names', () => {
    expect(renderTable([], [], { url: 'u', intervalMs: 1000, state: 'ok' }, 120)).toContain('no Ryot model metrics');
    const screen = renderTable([{ model: 'evil\x1b[2J\nname' }], [], { url: 'u', intervalMs: 1000, state: 'ok' }, 120);
    expect(screen).not.toContain('\x1b');
    expect(screen).toContain('evil?[2J?name');
  });
});
