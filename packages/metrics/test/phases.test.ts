/**
 * Engine phases, time per output token, finish reasons and engine events from scripted engine timelines on an
 * injected clock. Every expected number is worked out in the comments from the script; both aggregation paths.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGGREGATION_PATHS, bucketCounts, createTestRyot, findMetric, histogram, value, type TestRyot, type TestRyotOptions, captureDiagWarnings } from '../src/testing.js';

const M = { model: 'llama' };
const PREFILL = 'ryot_inference_prefill_seconds';
const DECODE = 'ryot_inference_decode_seconds';
const TPOT = 'ryot_time_per_output_token_seconds';
const QUEUE = 'ryot_inference_queue_wait_seconds';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

/** Tokens at the given clock offsets (ms after the previous step). */
function tokensAfter(h: TestRyot, ctx: ReturnType<TestRyot['api']['startInference']>, gapsMs: number[]): void {
  for (const gap of gapsMs) {
    h.clock.advance(gap);
    ctx.recordToken();
  }
}

describe.each(AGGREGATION_PATHS)('phases and engine events through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}) => createTestRyot({ ...options, aggregation });

  it('measures queue, prefill, decode and TPOT from a scripted engine timeline', async () => {
    const h = testRyot();
    // t=0 the request arrives and queues; t=120 the engine schedules it; t=300 the first token; four more 30 ms
    // apart (t=330 … 420); the stream ends at t=425.
    const ctx = h.api.startInference({ ...M, promptTokens: 300 });
    const ticket = h.api.enqueue('llama');
    h.clock.advance(120);
    ticket.dequeue();
    ctx.prefillStarted();
    tokensAfter(h, ctx, [180, 30, 30, 30, 30]);
    h.clock.advance(5);
    ctx.end();
    const all = await h.metrics();
    // Queue 0.120 s → (0.1, 0.25]. Prefill = 300 − 120 = 180 ms → (0.1, 0.25]. Decode = 420 − 300 = 120 ms → (0.1, 0.25].
    expect(histogram(all, QUEUE, M)!.sum).toBeCloseTo(0.12, 12);
    expect(bucketCounts(histogram(all, PREFILL, M))).toEqual({ '0.25': 1 });
    expect(histogram(all, PREFILL, M)!.sum).toBeCloseTo(0.18, 12);
    expect(bucketCounts(histogram(all, DECODE, M))).toEqual({ '0.25': 1 });
    expect(histogram(all, DECODE, M)!.sum).toBeCloseTo(0.12, 12);
    // TPOT = (duration − TTFT) / (tokens − 1) = (0.425 − 0.300) / 4 = 0.03125 → (0.025, 0.05].
    expect(bucketCounts(histogram(all, TPOT, M))).toEqual({ '0.05': 1 });
    expect(histogram(all, TPOT, M)!.sum).toBeCloseTo(0.03125, 12);
    // 300 prompt tokens → (256, 512].
    expect(bucketCounts(histogram(all, 'ryot_prompt_tokens_per_request', M))).toEqual({ '512': 1 });
  });

  it('ends prefill at prefillDone when the engine says so before the first token', async () => {
    const h = testRyot();
    // Scheduled at t=0, prefill done at t=50, first token at t=80, second at t=100, end at t=100.
    const ctx = h.api.startInference(M);
    ctx.prefillStarted();
    h.clock.advance(50);
    ctx.prefillDone();
    tokensAfter(h, ctx, [30, 20]);
    ctx.end();
    const all = await h.metrics();
    // Prefill 0.050 → le 0.05 (a boundary value falls in its bucket); decode from prefillDone: 100 − 50 = 50 ms.
    expect(bucketCounts(histogram(all, PREFILL, M))).toEqual({ '0.05': 1 });
    expect(histogram(all, DECODE, M)!.sum).toBeCloseTo(0.05, 12);
    // TPOT = (0.100 − 0.080) / 1 = 0.02 → (0.01, 0.025].
    expect(bucketCounts(histogram(all, TPOT, M))).toEqual({ '0.025': 1 });
  });

  it('takes the engine-reported timings over its own, and records the reported queue wait once', async () => {
    const h = testRyot();
    const ctx = h.api.startInference(M);
    ctx.prefillStarted();
    tokensAfter(h, ctx, [10, 10, 10]);
    ctx.setEngineTimings({ queueSeconds: 0.7, prefillSeconds: 0.04, decodeSeconds: 2 });
    ctx.setEngineTimings({ queueSeconds: 0.9 });
    ctx.end();
    const all = await h.metrics();
    // Queue 0.7 → (0.5, 1], recorded once (the second report replaces nothing already recorded).
    expect(bucketCounts(histogram(all, QUEUE, M))).toEqual({ '1': 1 });
    // The engine's prefill 0.04 → (0.025, 0.05], not the measured 10 ms; decode 2 s → (1, 2.5].
    expect(bucketCounts(histogram(all, PREFILL, M))).toEqual({ '0.05': 1 });
    expect(bucketCounts(histogram(all, DECODE, M))).toEqual({ '2.5': 1 });
  });

  it('records prefill for a request that failed after it, but no decode or TPOT; nothing for one cancelled in prefill', async () => {
    const h = testRyot();
    const failed = h.api.startInference(M);
    failed.prefillStarted();
    tokensAfter(h, failed, [20, 5, 5]);
    failed.fail(new Error('CUDA error: an illegal memory access was encountered'));
    const cancelled = h.api.startInference(M);
    cancelled.prefillStarted();
    h.clock.advance(400);
    cancelled.abort();
    const unmarked = h.api.startInference(M);
    tokensAfter(h, unmarked, [20, 5]);
    unmarked.end();
    const all = await h.metrics();
    // Only the failed request finished a prefill (20 ms); the unmarked one has no start of prefill to measure from.
    expect(histogram(all, PREFILL, M)!.count).toBe(1);
    expect(histogram(all, PREFILL, M)!.sum).toBeCloseTo(0.02, 12);
    // Decode and TPOT come from the successful, unmarked request only: decode 5 ms from its first token, TPOT 5 ms.
    expect(histogram(all, DECODE, M)!.count).toBe(1);
    expect(histogram(all, DECODE, M)!.sum).toBeCloseTo(0.005, 12);
    expect(histogram(all, TPOT, M)!.sum).toBeCloseTo(0.005, 12);
  });

  it('uses the reported output tokens for TPOT, and records none for a single token', async () => {
    const h = testRyot();
    // Chunks, not tokens: two chunks 30 ms apart after a 100 ms TTFT, but the API reports 11 output tokens.
    const chunked = h.api.startInference(M);
    tokensAfter(h, chunked, [100, 30]);
    chunked.setCompletionTokens(11);
    chunked.end();
    const single = h.api.startInference(M);
    tokensAfter(h, single, [50]);
    single.end();
    const all = await h.metrics();
    // (0.130 − 0.100) / (11 − 1) = 0.003 → (0.0025, 0.005]; the one-token request has no TPOT.
    expect(bucketCounts(histogram(all, TPOT, M))).toEqual({ '0.005': 1 });
    expect(histogram(all, TPOT, M)!.sum).toBeCloseTo(0.003, 12);
  });

  it('counts finish reasons in the bounded vocabulary, every request exactly once', async () => {
    const h = testRyot();
    const finish = (reason: string | undefined, how: 'end' | 'fail' | 'abort' = 'end') => {
      const ctx = h.api.startInference(M);
      if (reason !== undefined) ctx.setFinishReason(reason);
      if (how === 'fail') ctx.fail(new Error('x'));
      else if (how === 'abort') ctx.abort();
      else ctx.end();
    };
    finish('stop');
    finish('end_turn'); // Anthropic → stop
    finish('MAX_TOKENS'); // Gemini → length
    finish('max_tokens'); // Anthropic → length
    finish('tool_use'); // Anthropic → tool_calls
    finish('content-filter'); // AI SDK → content_filter
    finish('repetition'); // not in the vocabulary → unknown, one diagnostic
    finish('pause_turn'); // not in the vocabulary either: the same diagnostic, not a second one
    finish(undefined); // never reported → unknown
    finish('length', 'fail'); // a failure is an error whatever was reported
    finish(undefined, 'abort');
    const all = await h.metrics();
    const reasons = Object.fromEntries(findMetric(all, 'ryot_inference_finished')!.dataPoints.map((p) => [p.attributes['finish_reason'], p.value]));
    expect(reasons).toEqual({ stop: 2, length: 2, tool_calls: 1, content_filter: 1, unknown: 3, error: 1, abort: 1 });
    const requests = findMetric(all, 'ryot_inference_requests')!.dataPoints.reduce((sum, p) => sum + (p.value as number), 0);
    expect(requests).toBe(11);
    expect(warnings.filter((w) => w.includes('finish reason'))).toHaveLength(1);
  });

  it('counts preemptions from the context and the API, and reports the last KV-cache usage', async () => {
    const h = testRyot();
    const ctx = h.api.startInference(M);
    ctx.recordPreemption();
    ctx.recordPreemption();
    ctx.recordPreemption(0); // not a positive integer: dropped with one diagnostic
    let summary: { preemptions: number } | undefined;
    const observed = h.api.startInference({ ...M, onEnd: (s) => (summary = s) });
    observed.recordPreemption(2);
    observed.end();
    ctx.end();
    h.api.recordPreemption({ model: 'llama', count: 3 });
    h.api.setKvCacheUsage({ model: 'llama', ratio: 0.25 });
    h.api.setKvCacheUsage({ model: 'llama', ratio: 0.75 });
    h.api.setKvCacheUsage({ model: 'llama', ratio: 1.5 }); // not a ratio: dropped, the 0.75 stays
    const all = await h.metrics();
    // 2 + 2 + 3.
    expect(value(all, 'ryot_preemptions', M)).toBe(7);
    expect(summary?.preemptions).toBe(2);
    expect(value(all, 'ryot_kv_cache_usage_ratio', M)).toBe(0.75);
    expect(warnings).toHaveLength(2);
  });

  it('hands the phases, TPOT and finish reason to onEnd', async () => {
    const h = testRyot();
    let summary: Record<string, unknown> | undefined;
    const ctx = h.api.startInference({ ...M, onEnd: (s) => (summary = { ...s }) });
    ctx.prefillStarted();
    tokensAfter(h, ctx, [40, 10, 10]);
    ctx.setFinishReason('length');
    ctx.end();
    // Prefill 40 ms, decode 20 ms, TPOT (0.060 − 0.040) / 2 = 0.01.
    expect(summary).toMatchObject({ finishReason: 'length', preemptions: 0, goodput: undefined, cost: undefined, tenant: undefined });
    expect(summary!['prefill']).toBeCloseTo(0.04, 12);
    expect(summary!['decode']).toBeCloseTo(0.02, 12);
    expect(summary!['timePerOutputToken']).toBeCloseTo(0.01, 12);
  });
});
