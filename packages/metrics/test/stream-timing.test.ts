import { describe, expect, it } from 'vitest';
import { bucketCounts, createTestRyot, histogram, value, type TestRyot, AGGREGATION_PATHS, type TestRyotOptions } from '../src/testing.js';

const M = { model: 'llama' };
const TTFT = 'ryot_inference_ttft_seconds';
const ITL = 'ryot_inference_inter_token_latency_seconds';
const DURATION = 'ryot_inference_request_duration_seconds';

/** Tokens arrive 40 ms after the work starts, then after gaps of 3, 7, 30 and 120 ms. */
const SCRIPT_MS = [40, 3, 7, 30, 120];

function scriptedGenerator(harness: TestRyot, delays = SCRIPT_MS, failAfter?: { index: number; error: unknown }) {
  return async function* generate(): AsyncGenerator<string> {
    for (const [index, delay] of delays.entries()) {
      if (failAfter && index === failAfter.index) throw failAfter.error;
      harness.clock.advance(delay);
      yield `t${index}`;
    }
  };
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe.each(AGGREGATION_PATHS)('per-request series through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}, withViews?: boolean) => createTestRyot({ ...options, aggregation }, withViews);

  describe('trackTokenGeneration timing (injected clock, hand-computed buckets)', () => {
    it('records TTFT, one ITL per gap, duration, tokens and tokens/s for the scripted stream', async () => {
      const harness = testRyot();
      const tracked = harness.api.trackTokenGeneration(M)(scriptedGenerator(harness));
      expect(await drain(tracked())).toEqual(['t0', 't1', 't2', 't3', 't4']);
      const all = await harness.metrics();
      // TTFT 0.040 s lies in (0.025, 0.05].
      expect(bucketCounts(histogram(all, TTFT, M))).toEqual({ '0.05': 1 });
      // Gaps 0.003 → (0.001,0.005], 0.007 → (0.005,0.01], 0.030 → (0.025,0.05], 0.120 → (0.1,0.25].
      expect(bucketCounts(histogram(all, ITL, M))).toEqual({ '0.005': 1, '0.01': 1, '0.05': 1, '0.25': 1 });
      expect(histogram(all, ITL, M)!.count).toBe(4);
      expect(histogram(all, ITL, M)!.sum).toBeCloseTo(0.16, 12);
      // Duration 40+3+7+30+120 = 200 ms → (0.1, 0.25].
      expect(bucketCounts(histogram(all, DURATION, M))).toEqual({ '0.25': 1 });
      expect(histogram(all, DURATION, M)!.sum).toBeCloseTo(0.2, 12);
      // 5 tokens → bucket le=5 (upper-inclusive); 5 / 0.2 s = 25 tokens/s → le=25.
      expect(bucketCounts(histogram(all, 'ryot_tokens_per_request', M))).toEqual({ '5': 1 });
      expect(bucketCounts(histogram(all, 'ryot_request_tokens_per_second', M))).toEqual({ '25': 1 });
      expect(value(all, 'ryot_tokens_generated', M)).toBe(5);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'success' })).toBe(1);
      expect(value(all, 'ryot_inference_requests_in_flight', M)).toBe(0);
      expect(value(all, 'ryot_average_tokens_per_minute', M)).toBe(5);
    });

    it('starts the clock at the first pull for a lazy generator, not at creation', async () => {
      const harness = testRyot();
      const tracked = harness.api.trackTokenGeneration(M)(scriptedGenerator(harness));
      const stream = tracked();
      harness.clock.advance(500); // the generator body has not run: no work started yet
      await drain(stream);
      const all = await harness.metrics();
      expect(bucketCounts(histogram(all, TTFT, M))).toEqual({ '0.05': 1 });
    });

    it('starts the clock at the call when the function returns a promise of a stream (eager request)', async () => {
      const harness = testRyot();
      const inner = scriptedGenerator(harness);
      const request = async () => {
        harness.clock.advance(100); // connection + headers before the stream object exists
        return inner();
      };
      const tracked = harness.api.trackTokenGeneration(M)(request);
      const stream = await tracked();
      expect(await drain(stream)).toHaveLength(5);
      const all = await harness.metrics();
      // 100 + 40 = 140 ms → (0.1, 0.25]; a clock started at the first pull would say 40 ms.
      expect(bucketCounts(histogram(all, TTFT, M))).toEqual({ '0.25': 1 });
      expect(histogram(all, TTFT, M)!.sum).toBeCloseTo(0.14, 12);
      expect(histogram(all, DURATION, M)!.sum).toBeCloseTo(0.3, 12);
    });

    it('records an early break as cancelled, once, with the tokens seen so far', async () => {
      const harness = testRyot();
      const tracked = harness.api.trackTokenGeneration(M)(scriptedGenerator(harness));
      const seen: string[] = [];
      for await (const token of tracked()) {
        seen.push(token);
        if (seen.length === 2) break;
      }
      const all = await harness.metrics();
      expect(seen).toEqual(['t0', 't1']);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'cancelled' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'success' })).toBeUndefined();
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'cancelled' })).toBe(1);
      expect(histogram(all, ITL, M)!.count).toBe(1);
      expect(value(all, 'ryot_tokens_generated', M)).toBe(2);
      expect(histogram(all, DURATION, M)!.sum).toBeCloseTo(0.043, 12);
      expect(value(all, 'ryot_inference_requests_in_flight', M)).toBe(0);
    });

    it('records an AbortSignal as cancelled at the moment it aborts, even if nobody pulls again', async () => {
      const harness = testRyot();
      const controller = new AbortController();
      const tracked = harness.api.trackTokenGeneration({ ...M, signal: controller.signal })(scriptedGenerator(harness));
      const iterator = tracked()[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.next();
      harness.clock.advance(15);
      controller.abort();
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'cancelled' })).toBe(1);
      // 40 + 3 + 15 = 58 ms.
      expect(histogram(all, DURATION, M)!.sum).toBeCloseTo(0.058, 12);
      await iterator.return?.(undefined);
      const again = await harness.metrics();
      expect(histogram(again, DURATION, M)!.count).toBe(1);
    });

    it('records a mid-stream error with its type and rethrows the same error object', async () => {
      const harness = testRyot();
      const failure = new Error('CUDA error: an illegal memory access was encountered');
      const tracked = harness.api.trackTokenGeneration(M)(scriptedGenerator(harness, SCRIPT_MS, { index: 3, error: failure }));
      const seen: string[] = [];
      let caught: unknown;
      try {
        for await (const token of tracked()) seen.push(token);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBe(failure);
      expect(seen).toEqual(['t0', 't1', 't2']);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'error' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'cuda' })).toBe(1);
      expect(bucketCounts(histogram(all, ITL, M))).toEqual({ '0.005': 1, '0.01': 1 });
      expect(value(all, 'ryot_tokens_generated', M)).toBe(3);
    });

    it('records a timeout thrown by the stream as status timeout', async () => {
      const harness = testRyot();
      const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      const tracked = harness.api.trackTokenGeneration(M)(scriptedGenerator(harness, SCRIPT_MS, { index: 1, error: timeout }));
      await expect(drain(tracked())).rejects.toBe(timeout);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'timeout' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'timeout' })).toBe(1);
    });

    it('counts tokens per chunk with countTokens and skips content-free chunks for TTFT', async () => {
      const harness = testRyot();
      async function* chunks() {
        harness.clock.advance(10);
        yield { role: 'assistant', text: '' };
        harness.clock.advance(20);
        yield { text: 'ab', tokens: 2 };
        harness.clock.advance(4);
        yield { text: 'c', tokens: 1 };
      }
      const tracked = harness.api.trackTokenGeneration({ ...M, countTokens: (chunk: { tokens?: number }) => chunk.tokens ?? 0 })(chunks);
      await drain(tracked());
      const all = await harness.metrics();
      expect(histogram(all, TTFT, M)!.sum).toBeCloseTo(0.03, 12);
      expect(histogram(all, ITL, M)!.count).toBe(1);
      expect(value(all, 'ryot_tokens_generated', M)).toBe(3);
    });

    it('records a promise that rejects before any stream exists as one failed request', async () => {
      const harness = testRyot();
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      const tracked = harness.api.trackTokenGeneration(M)(async (): Promise<AsyncIterable<string>> => {
        throw refused;
      });
      await expect(tracked()).rejects.toBe(refused);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'connection' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'error' })).toBe(1);
    });
  });
});
