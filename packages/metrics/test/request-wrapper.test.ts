import { describe, expect, it } from 'vitest';
import { bucketCounts, createTestRyot, histogram, value, AGGREGATION_PATHS, type TestRyotOptions } from '../src/testing.js';

const M = { model: 'gpt4' };

describe.each(AGGREGATION_PATHS)('per-request series through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}, withViews?: boolean) => createTestRyot({ ...options, aggregation }, withViews);

  describe('trackInferenceRequest', () => {
    it('records success, duration and in-flight, and returns the value unchanged', async () => {
      const harness = testRyot();
      let inFlightDuringCall: number | undefined;
      const generate = harness.api.trackInferenceRequest(M)(async (prompt: string) => {
        inFlightDuringCall = value(await harness.metrics(), 'ryot_inference_requests_in_flight', M);
        harness.clock.advance(420);
        return `echo:${prompt}`;
      });
      await expect(generate('hi')).resolves.toBe('echo:hi');
      const all = await harness.metrics();
      expect(inFlightDuringCall).toBe(1);
      expect(value(all, 'ryot_inference_requests_in_flight', M)).toBe(0);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'success' })).toBe(1);
      // 0.42 s → (0.25, 0.5].
      expect(bucketCounts(histogram(all, 'ryot_inference_request_duration_seconds', M))).toEqual({ '0.5': 1 });
    });

    it('rethrows the very same error and classifies it', async () => {
      const harness = testRyot();
      const rateLimited = Object.assign(new Error('Too Many Requests'), { status: 429 });
      const call = harness.api.trackInferenceRequest(M)(async () => {
        throw rateLimited;
      });
      await expect(call()).rejects.toBe(rateLimited);
      const syncFailure = new TypeError('bad prompt');
      const syncCall = harness.api.trackInferenceRequest(M)(() => {
        throw syncFailure;
      });
      expect(() => syncCall()).toThrow(syncFailure);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'rate_limit' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'unknown' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'error' })).toBe(2);
      expect(value(all, 'ryot_inference_requests_in_flight', M)).toBe(0);
    });

    it('works as a method decorator (called the way TS 5 standard decorators call it) and keeps `this`', async () => {
      // The decorator syntax itself is compiled by tsc and run in test/consumer (vitest's transformer lacks it).
      const harness = testRyot();
      const track = harness.api.trackInferenceRequest({ model: (prompt: string) => (prompt.length > 3 ? 'big' : 'small') });
      class Engine {
        constructor(private readonly suffix: string) {}
        async generate(prompt: string): Promise<string> {
          harness.clock.advance(20);
          return prompt + this.suffix;
        }
      }
      const context = { kind: 'method', name: 'generate', static: false, private: false } as unknown as ClassMethodDecoratorContext<
        Engine,
        (this: Engine, prompt: string) => Promise<string>
      >;
      Engine.prototype.generate = track(Engine.prototype.generate, context);
      const engine = new Engine('!');
      expect(await engine.generate('hello')).toBe('hello!');
      expect(await engine.generate('yo')).toBe('yo!');
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: 'big', status: 'success' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { model: 'small', status: 'success' })).toBe(1);
    });

    it('reads token usage from a non-streaming result', async () => {
      const harness = testRyot();
      const call = harness.api.trackInferenceRequest({
        ...M,
        usage: (result: { usage: { prompt_tokens: number; completion_tokens: number } }) => ({
          promptTokens: result.usage.prompt_tokens,
          completionTokens: result.usage.completion_tokens,
        }),
      })(async () => {
        harness.clock.advance(500);
        return { usage: { prompt_tokens: 30, completion_tokens: 50 } };
      });
      await call();
      const all = await harness.metrics();
      expect(value(all, 'ryot_prompt_tokens', M)).toBe(30);
      expect(value(all, 'ryot_tokens_generated', M)).toBe(50);
      // 50 tokens / 0.5 s = 100 tokens/s → le=100.
      expect(bucketCounts(histogram(all, 'ryot_request_tokens_per_second', M))).toEqual({ '100': 1 });
      // No per-token timing exists for a non-streaming response.
      expect(histogram(all, 'ryot_inference_ttft_seconds', M)).toBeUndefined();
    });

    it('rejects a missing model at configuration time with a clear error', () => {
      const harness = testRyot();
      expect(() => harness.api.trackInferenceRequest({} as { model: string })).toThrow(/expected a string or a function for model/);
      expect(() => harness.api.trackInferenceRequest(M)(42 as unknown as () => void)).toThrow(TypeError);
    });
  });

  describe('InferenceContext', () => {
    it('records tokens with automatic timestamps and ends once with `using`', async () => {
      const harness = testRyot();
      {
        using ctx = harness.api.startInference({ ...M, promptTokens: 7 });
        harness.clock.advance(8);
        ctx.recordToken();
        harness.clock.advance(2);
        ctx.recordToken();
        ctx.recordItl(0.3);
        expect(ctx.tokenCount).toBe(2);
        ctx.end();
        ctx.end('error');
      }
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'success' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'error' })).toBeUndefined();
      expect(bucketCounts(histogram(all, 'ryot_inference_ttft_seconds', M))).toEqual({ '0.01': 1 });
      // 0.002 s measured gap → (0.001, 0.005]; 0.3 s given explicitly → (0.25, 0.5].
      expect(bucketCounts(histogram(all, 'ryot_inference_inter_token_latency_seconds', M))).toEqual({ '0.005': 1, '0.5': 1 });
      expect(value(all, 'ryot_prompt_tokens', M)).toBe(7);
    });

    it('fail() ends with the classified status; dispose after fail records nothing more', async () => {
      const harness = testRyot();
      {
        using ctx = harness.api.startInference(M);
        ctx.fail(new Error('RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB'));
      }
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'error' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { ...M, status: 'success' })).toBeUndefined();
      expect(value(all, 'ryot_inference_errors', { ...M, error_type: 'oom' })).toBe(1);
    });
  });

  describe('queue tracking', () => {
    it('keeps the size exact when callers dequeue, abandon, throw, or leave twice', async () => {
      const harness = testRyot();
      const a = harness.api.enqueue('m');
      const b = harness.api.enqueue('m');
      const c = harness.api.enqueue('m');
      expect(value(await harness.metrics(), 'ryot_inference_queue_size', { model: 'm' })).toBe(3);
      harness.clock.advance(30);
      expect(a.dequeue()).toBeCloseTo(0.03, 12);
      a.dequeue();
      b.abandon();
      b.dequeue();
      try {
        using _ticket = c;
        throw new Error('caller failed while waiting');
      } catch {
        // the ticket was disposed on the way out
      }
      const failing = harness.api.waitInQueue('m', async () => {
        throw new Error('semaphore closed');
      });
      await expect(failing).rejects.toThrow('semaphore closed');
      await harness.api.waitInQueue('m', async () => harness.clock.advance(2));
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_queue_size', { model: 'm' })).toBe(0);
      // Only the two served requests record a wait: 30 ms → (0.025,0.05], 2 ms → (0.001,0.005].
      expect(bucketCounts(histogram(all, 'ryot_inference_queue_wait_seconds', { model: 'm' }))).toEqual({ '0.05': 1, '0.005': 1 });
    });
  });

  describe('model, cache, batch, retry, GPU and info', () => {
    it('records each with the right values', async () => {
      const harness = testRyot();
      const { api, clock } = harness;
      await api.trackModelLoad('m', async () => clock.advance(42_000));
      for (const hit of [true, true, false, true]) api.recordCacheLookup({ model: 'm', hit });
      api.recordCacheLookup({ model: 'm', hits: 2, lookups: 4 });
      api.recordBatch({ model: 'm', size: 3 });
      api.recordBatch({ model: 'm', size: 512 });
      api.recordRetry({ model: 'm' });
      api.recordRetry({ model: 'm', count: 2 });
      api.updateGpuMetrics({ model: 'm', gpuId: 1, usedBytes: 6e9, reservedBytes: 8e9, utilization: 87.5 });
      const all = await harness.metrics();
      const m = { model: 'm' };
      // The last load took 42 s.
      expect(value(all, 'ryot_model_loading_duration_seconds', m)).toBe(42);
      expect(value(all, 'ryot_cache_lookups', m)).toBe(8);
      expect(value(all, 'ryot_cache_hits', m)).toBe(5);
      expect(value(all, 'ryot_model_cache_hit_ratio', m)).toBeCloseTo(5 / 8, 12);
      // 3 → (2,4]; 512 → (256,512].
      expect(bucketCounts(histogram(all, 'ryot_batch_size', m))).toEqual({ '4': 1, '512': 1 });
      expect(value(all, 'ryot_batches_processed', m)).toBe(2);
      expect(value(all, 'ryot_inference_retries', m)).toBe(3);
      const gpu = { model: 'm', gpu_id: '1' };
      expect(value(all, 'ryot_gpu_memory_usage_bytes', gpu)).toBe(6e9);
      expect(value(all, 'ryot_gpu_memory_reserved_bytes', gpu)).toBe(8e9);
      expect(value(all, 'ryot_memory_efficiency_ratio', gpu)).toBeCloseTo(0.75, 12);
      expect(value(all, 'ryot_gpu_utilization_percent', gpu)).toBe(87.5);
    });

    it('the cache ratio and tokens/minute windows forget what is older than 60 s', async () => {
      const harness = testRyot();
      const { api, clock } = harness;
      api.recordCacheLookup({ model: 'm', hit: false });
      const ctx = api.startInference({ model: 'm' });
      ctx.recordToken(10);
      clock.advance(30_000);
      api.recordCacheLookup({ model: 'm', hit: true });
      ctx.recordToken(5);
      ctx.end();
      let all = await harness.metrics();
      expect(value(all, 'ryot_model_cache_hit_ratio', { model: 'm' })).toBe(0.5);
      expect(value(all, 'ryot_average_tokens_per_minute', { model: 'm' })).toBe(15);
      clock.advance(45_000);
      all = await harness.metrics();
      expect(value(all, 'ryot_model_cache_hit_ratio', { model: 'm' })).toBe(1);
      expect(value(all, 'ryot_average_tokens_per_minute', { model: 'm' })).toBe(5);
    });

    it('info metrics carry labels with value 1 and replace earlier labels', async () => {
      const harness = testRyot();
      harness.api.systemInfo.info({ cluster: 'a' });
      harness.api.systemInfo.info({ cluster: 'b', gpus: 8 });
      harness.api.modelInfo.info({ model: 'm', quantization: 'awq' });
      const all = await harness.metrics();
      const system = all.find((metric) => metric.descriptor.name === 'ryot_system_info')!;
      expect(system.dataPoints).toHaveLength(1);
      expect(system.dataPoints[0]!.value).toBe(1);
      expect(system.dataPoints[0]!.attributes).toMatchObject({ cluster: 'b', gpus: '8', runtime: 'nodejs' });
      expect(value(all, 'ryot_model_info', { model: 'm', quantization: 'awq' })).toBe(1);
    });
  });

  describe('reported completion tokens', () => {
    it('override the chunk count for tokens and tokens/s', async () => {
      const harness = testRyot();
      const ctx = harness.api.startInference({ model: 'm' });
      harness.clock.advance(100);
      ctx.recordToken();
      harness.clock.advance(100);
      ctx.recordToken(); // two chunks that carried 40 tokens between them
      ctx.setCompletionTokens(40);
      ctx.end();
      const all = await harness.metrics();
      expect(value(all, 'ryot_tokens_generated', { model: 'm' })).toBe(40);
      // 40 tokens / 0.2 s = 200 tokens/s → (100, 250].
      expect(bucketCounts(histogram(all, 'ryot_request_tokens_per_second', { model: 'm' }))).toEqual({ '250': 1 });
    });
  });
});
