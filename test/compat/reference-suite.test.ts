/**
 * The reference Python library's own test cases (request success/timeout/OOM, token generation, the context
 * manager, GPU, errors, queue, throughput, batches, model load, cache, several models, TTFT, label consistency,
 * concurrency), written against `@ryot/metrics/compat`. Where the reference's tests assert almost nothing, each of
 * these asserts the exposition the calls must produce, read back through a Prometheus text parser. Expected values
 * are worked out by hand from the scripted clock.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCompat } from '@ryot/metrics/compat';
import { parseExposition, type Exposition } from '@ryot/metrics/testing';
import { AGGREGATION_PATHS, captureDiagWarnings, createTestRyot as createHarness, type AggregationPath, type TestRyot as Harness } from '@ryot/metrics/testing';

let harness: Harness;
let compat: ReturnType<typeof createCompat>;
let warnings: string[];
let restoreDiag: () => void = () => {};
/** The path of the describe.each block running now. */
let aggregation: AggregationPath = 'ryot';

beforeEach(() => {
  harness = createHarness({ aggregation });
  compat = createCompat(harness.api);
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});

afterEach(() => restoreDiag());

async function scrape(): Promise<Exposition> {
  const exposition = parseExposition(await harness.prometheusText());
  expect(exposition.errors).toEqual([]);
  return exposition;
}

/** Per-bucket (not cumulative) counts of a histogram series, by `le`, zeros left out. */
function bucketCounts(exposition: Exposition, name: string, labels: Record<string, string>): Record<string, number> {
  const cumulative = exposition.get(`${name}_bucket`, labels).map((s) => [s.labels['le']!, s.value] as const);
  const out: Record<string, number> = {};
  let previous = 0;
  for (const [le, count] of cumulative) {
    if (count - previous > 0) out[le] = count - previous;
    previous = count;
  }
  return out;
}

function timeoutError(): Error {
  return Object.assign(new Error('the engine did not answer in time'), { name: 'TimeoutError' });
}

describe.each(AGGREGATION_PATHS)('per-request series through %s', (path) => {
  // Before the top-level beforeEach of each test in the block, which builds the harness.
  beforeAll(() => {
    aggregation = path;
  });

  describe('requests (trackInferenceRequest)', () => {
    it('success: counts, times, and reads tokenCount and ttftSeconds from the result', async () => {
      const infer = compat.trackInferenceRequest('gpt4')(async () => {
        harness.clock.advance(150);
        return { text: 'hi', tokenCount: 30, ttftSeconds: 0.05 };
      });
      expect(await infer()).toEqual({ text: 'hi', tokenCount: 30, ttftSeconds: 0.05 });
      const m = { model: 'gpt4' };
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { ...m, status: 'success' })).toBe(1);
      // 150 ms: (0.1, 0.25]; TTFT 50 ms: (0.025, 0.05] (upper bounds are inclusive).
      expect(bucketCounts(e, 'ryot_inference_request_duration_seconds', m)).toEqual({ '0.25': 1 });
      expect(bucketCounts(e, 'ryot_inference_ttft_seconds', m)).toEqual({ '0.05': 1 });
      expect(e.value('ryot_tokens_generated_total', m)).toBe(30);
      // 30 tokens: (25, 50]; 30 tokens / 0.15 s = 200 tok/s: (100, 250].
      expect(bucketCounts(e, 'ryot_tokens_per_request', m)).toEqual({ '50': 1 });
      expect(bucketCounts(e, 'ryot_request_tokens_per_second', m)).toEqual({ '250': 1 });
      expect(e.value('ryot_inference_requests_in_flight', m)).toBe(0);
      expect(e.get('ryot_inference_errors_total')).toEqual([]);
    });

    it('also reads the reference\'s snake_case result fields, and the default model is "default"', async () => {
      await compat.trackInferenceRequest()(async () => ({ token_count: 7, ttft_seconds: 0.2 }))();
      const e = await scrape();
      expect(e.value('ryot_tokens_generated_total', { model: 'default' })).toBe(7);
      expect(bucketCounts(e, 'ryot_inference_ttft_seconds', { model: 'default' })).toEqual({ '0.25': 1 });
    });

    it('timeout: status timeout, error_type timeout, the same error rethrown', async () => {
      const error = timeoutError();
      const infer = compat.trackInferenceRequest('gpt4')(async () => {
        harness.clock.advance(30_000);
        throw error;
      });
      await expect(infer()).rejects.toBe(error);
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { model: 'gpt4', status: 'timeout' })).toBe(1);
      expect(e.value('ryot_inference_errors_total', { model: 'gpt4', error_type: 'timeout' })).toBe(1);
      // 30 s sits on the last boundary: (10, 30].
      expect(bucketCounts(e, 'ryot_inference_request_duration_seconds', { model: 'gpt4' })).toEqual({ '30': 1 });
    });

    it('OOM: status error, error_type oom', async () => {
      const error = new Error('CUDA out of memory. Tried to allocate 2.00 GiB');
      await expect(compat.trackInferenceRequest('gpt4')(() => Promise.reject(error))()).rejects.toBe(error);
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { model: 'gpt4', status: 'error' })).toBe(1);
      expect(e.value('ryot_inference_errors_total', { model: 'gpt4', error_type: 'oom' })).toBe(1);
    });
  });

  describe('token generation (trackTokenGeneration)', () => {
    it('TTFT, one ITL per gap, tokens', async () => {
      const { clock } = harness;
      const generate = compat.trackTokenGeneration('llama')(async function* () {
        clock.advance(20);
        yield 'a';
        clock.advance(5);
        yield 'b';
        clock.advance(15);
        yield 'c';
      });
      const tokens: string[] = [];
      for await (const token of generate()) tokens.push(token);
      expect(tokens).toEqual(['a', 'b', 'c']);
      const m = { model: 'llama' };
      const e = await scrape();
      expect(bucketCounts(e, 'ryot_inference_ttft_seconds', m)).toEqual({ '0.025': 1 });
      expect(bucketCounts(e, 'ryot_inference_inter_token_latency_seconds', m)).toEqual({ '0.005': 1, '0.025': 1 });
      expect(e.value('ryot_tokens_generated_total', m)).toBe(3);
      expect(e.value('ryot_inference_requests_total', { ...m, status: 'success' })).toBe(1);
    });
  });

  describe('InferenceContext (the reference context manager)', () => {
    it('success: the seed example, verbatim in TypeScript', async () => {
      {
        using ctx = new compat.InferenceContext('claude');
        harness.clock.advance(300);
        ctx.setTtft(0.3);
        for (let i = 0; i < 5; i++) {
          ctx.setTokenCount(ctx.tokenCount + 1);
          ctx.recordInterTokenLatency(0.02);
          harness.clock.advance(20);
        }
      }
      const m = { model: 'claude' };
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { ...m, status: 'success' })).toBe(1);
      expect(e.value('ryot_tokens_generated_total', m)).toBe(5);
      expect(bucketCounts(e, 'ryot_inference_ttft_seconds', m)).toEqual({ '0.5': 1 });
      expect(bucketCounts(e, 'ryot_inference_inter_token_latency_seconds', m)).toEqual({ '0.025': 5 });
      // 300 ms + 5 × 20 ms = 0.4 s: (0.25, 0.5].
      expect(bucketCounts(e, 'ryot_inference_request_duration_seconds', m)).toEqual({ '0.5': 1 });
    });

    it('exception: `using` cannot see it, so the context is failed explicitly; the error stays the caller\'s', async () => {
      const error = new TypeError('bad prompt');
      expect(() => {
        using ctx = new compat.InferenceContext('claude');
        try {
          throw error;
        } catch (caught) {
          ctx.fail(caught);
          throw caught;
        }
      }).toThrow(error);
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { model: 'claude', status: 'error' })).toBe(1);
      expect(e.value('ryot_inference_requests_total', { model: 'claude', status: 'success' })).toBeUndefined();
      expect(e.value('ryot_inference_errors_total', { model: 'claude', error_type: 'unknown' })).toBe(1);
    });

    it('timeout: status timeout', async () => {
      const ctx = new compat.InferenceContext('claude');
      harness.clock.advance(5000);
      ctx.fail(timeoutError());
      ctx[Symbol.dispose]();
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { model: 'claude', status: 'timeout' })).toBe(1);
      expect(e.value('ryot_inference_errors_total', { model: 'claude', error_type: 'timeout' })).toBe(1);
      expect(bucketCounts(e, 'ryot_inference_request_duration_seconds', { model: 'claude' })).toEqual({ '5': 1 });
    });

    it('TTFT set once: a later setTtft or first token adds no second observation', async () => {
      const ctx = new compat.InferenceContext('gpt4');
      ctx.setTtft(0.15);
      ctx.setTtft(0.9);
      ctx.recordToken();
      ctx.end();
      const e = await scrape();
      expect(bucketCounts(e, 'ryot_inference_ttft_seconds', { model: 'gpt4' })).toEqual({ '0.25': 1 });
      expect(e.value('ryot_inference_ttft_seconds_sum', { model: 'gpt4' })).toBeCloseTo(0.15, 12);
    });
  });

  describe('the other reference functions', () => {
    it('updateGpuMetrics: usage, reserved, utilization and the true efficiency ratio per GPU', async () => {
      compat.updateGpuMetrics('gpt4', 0, 6e9, 8e9, 85.5);
      compat.updateGpuMetrics('gpt4', 1, 9e9, 8e9, 12);
      const e = await scrape();
      const gpu0 = { model: 'gpt4', gpu_id: '0' };
      expect(e.value('ryot_gpu_memory_usage_bytes', gpu0)).toBe(6e9);
      expect(e.value('ryot_gpu_memory_reserved_bytes', gpu0)).toBe(8e9);
      expect(e.value('ryot_gpu_utilization_percent', gpu0)).toBe(85.5);
      expect(e.value('ryot_memory_efficiency_ratio', gpu0)).toBe(0.75);
      // More in use than reserved is reported as it is (1.125), not capped at 1.
      expect(e.value('ryot_memory_efficiency_ratio', { model: 'gpt4', gpu_id: '1' })).toBe(1.125);
    });

    it('recordInferenceError: each reference spelling lands on its Ryot error_type', async () => {
      for (const spelling of ['oom', 'timeout', 'cuda_error', 'invalid_input', 'runtime_error', 'rate_limit']) {
        compat.recordInferenceError('gpt4', spelling);
      }
      const e = await scrape();
      const errors = Object.fromEntries(e.get('ryot_inference_errors_total', { model: 'gpt4' }).map((s) => [s.labels['error_type'], s.value]));
      expect(errors).toEqual({ oom: 1, timeout: 1, cuda: 1, invalid_request: 1, unknown: 1, rate_limit: 1 });
      expect(warnings).toEqual([]);
    });

    it('updateQueueMetrics and recordQueueWait', async () => {
      compat.updateQueueMetrics('gpt4', 5);
      let e = await scrape();
      expect(e.value('ryot_inference_queue_size', { model: 'gpt4' })).toBe(5);
      compat.updateQueueMetrics('gpt4', 2);
      compat.recordQueueWait('gpt4', 0);
      compat.recordQueueWait('gpt4', 0.25);
      compat.recordQueueWait('gpt4', 3);
      compat.recordQueueWait('gpt4', 45);
      e = await scrape();
      expect(e.value('ryot_inference_queue_size', { model: 'gpt4' })).toBe(2);
      // 0 → (-inf, 0]; 0.25 → (0.1, 0.25]; 3 → (2.5, 5]; 45 → (30, 60].
      expect(bucketCounts(e, 'ryot_inference_queue_wait_seconds', { model: 'gpt4' })).toEqual({ '0': 1, '0.25': 1, '5': 1, '60': 1 });
    });

    it('updateTokenThroughput replaces the computed rate', async () => {
      compat.updateTokenThroughput('gpt4', 150.5);
      expect((await scrape()).value('ryot_tokens_per_second', { model: 'gpt4' })).toBe(150.5);
    });

    it('recordBatchProcessed', async () => {
      compat.recordBatchProcessed('gpt4', 8);
      compat.recordBatchProcessed('gpt4', 32);
      const e = await scrape();
      expect(bucketCounts(e, 'ryot_batch_size', { model: 'gpt4' })).toEqual({ '8': 1, '32': 1 });
      expect(e.value('ryot_batches_processed_total', { model: 'gpt4' })).toBe(2);
    });

    it('recordModelLoadTime: the gauge holds the latest load', async () => {
      compat.recordModelLoadTime('gpt4', 12.5);
      expect((await scrape()).value('ryot_model_loading_duration_seconds', { model: 'gpt4' })).toBe(12.5);
      compat.recordModelLoadTime('gpt4', 3);
      expect((await scrape()).value('ryot_model_loading_duration_seconds', { model: 'gpt4' })).toBe(3);
    });

    it('updateCacheMetrics replaces the ratio computed from lookups', async () => {
      harness.api.recordCacheLookup({ model: 'gpt4', hits: 1, lookups: 4 });
      expect((await scrape()).value('ryot_model_cache_hit_ratio', { model: 'gpt4' })).toBe(0.25);
      compat.updateCacheMetrics('gpt4', 0.85);
      const e = await scrape();
      expect(e.value('ryot_model_cache_hit_ratio', { model: 'gpt4' })).toBe(0.85);
      expect(e.value('ryot_cache_lookups_total', { model: 'gpt4' })).toBe(4);
    });

    it('systemInfo and modelInfo, the seed\'s literal calls included', async () => {
      compat.systemInfo.info({ version: '1.0.0', environment: 'production' });
      compat.modelInfo.info({ models: 'gpt4, claude, llama' });
      const e = await scrape();
      expect(e.get('ryot_system_info')).toHaveLength(1);
      expect(e.get('ryot_system_info')[0]!.labels).toMatchObject({ version: '1.0.0', environment: 'production' });
      expect(e.get('ryot_model_info')).toEqual([{ name: 'ryot_model_info', labels: { models: 'gpt4, claude, llama' }, value: 1 }]);
      expect(e.get('ryot_average_tokens_per_minute')).toEqual([]);
      expect(warnings).toEqual([]);
    });
  });

  describe('across calls', () => {
    it('modelInfo with a model key: one series per model, a later call for the same model replaces only its own', async () => {
      compat.modelInfo.info({ model: 'gpt4', version: '4' });
      compat.modelInfo.info({ model: 'claude', version: '3' });
      let info = (await scrape()).get('ryot_model_info');
      expect(info.map((s) => s.labels).sort((a, b) => a['model']!.localeCompare(b['model']!))).toEqual([
        { model: 'claude', version: '3' },
        { model: 'gpt4', version: '4' },
      ]);
      expect(info.map((s) => s.value)).toEqual([1, 1]);
      expect(warnings).toEqual([]);
      compat.modelInfo.info({ model: 'gpt4', version: '4o' });
      info = (await scrape()).get('ryot_model_info');
      expect(Object.fromEntries(info.map((s) => [s.labels['model'], s.labels['version']]))).toEqual({ gpt4: '4o', claude: '3' });
    });

    it('every tracked request that does not succeed adds exactly one error: sum(errors) == sum(requests{status!="success"})', async () => {
      const { clock } = harness;
      const ok = compat.trackInferenceRequest('gpt4')(async () => ({ tokenCount: 2 }));
      await ok();
      await ok();
      await compat.trackInferenceRequest('gpt4')(() => Promise.reject(new Error('CUDA out of memory')))().catch(() => undefined);
      await compat.trackInferenceRequest('claude')(() => Promise.reject(timeoutError()))().catch(() => undefined);
      await compat.trackInferenceRequest('claude')(() => Promise.reject(Object.assign(new Error('slow down'), { status: 429 })))().catch(() => undefined);
      // A stream whose consumer stops after the first token: cancelled.
      const stream = compat.trackTokenGeneration('llama')(async function* () {
        for (let i = 0; i < 5; i++) {
          clock.advance(10);
          yield i;
        }
      });
      for await (const _token of stream()) break;
      // A stream that completes, and a context failed explicitly.
      for await (const _token of stream()) void _token;
      const ctx = new compat.InferenceContext('llama');
      ctx.fail(new Error('cuda error: illegal memory access'));
      ctx[Symbol.dispose]();
      const sum = (samples: { value: number }[]) => samples.reduce((total, s) => total + s.value, 0);
      let e = await scrape();
      const notSuccess = e.get('ryot_inference_requests_total').filter((s) => s.labels['status'] !== 'success');
      // oom, timeout, rate_limit, cancelled, cuda: five requests, five errors, one per request.
      expect(sum(notSuccess)).toBe(5);
      expect(sum(e.get('ryot_inference_errors_total'))).toBe(5);
      expect(sum(e.get('ryot_inference_requests_total', { status: 'success' }))).toBe(3);
      expect(Object.fromEntries(e.get('ryot_inference_errors_total').map((s) => [`${s.labels['model']}/${s.labels['error_type']}`, s.value]))).toEqual({
        'gpt4/oom': 1,
        'claude/timeout': 1,
        'claude/rate_limit': 1,
        'llama/cancelled': 1,
        'llama/cuda': 1,
      });
      // recordInferenceError counts an error outside any request: the left side only.
      compat.recordInferenceError('gpt4', 'cuda_error');
      e = await scrape();
      expect(sum(e.get('ryot_inference_errors_total'))).toBe(6);
      expect(sum(e.get('ryot_inference_requests_total').filter((s) => s.labels['status'] !== 'success'))).toBe(5);
    });

    it('several models keep separate series', async () => {
      for (const model of ['gpt4', 'claude', 'llama']) await compat.trackInferenceRequest(model)(async () => 'ok')();
      const e = await scrape();
      const byModel = e.get('ryot_inference_requests_total', { status: 'success' }).map((s) => [s.labels['model'], s.value]);
      expect(Object.fromEntries(byModel)).toEqual({ gpt4: 1, claude: 1, llama: 1 });
    });

    it('label consistency: model on every series, closed vocabularies for status and error_type', async () => {
      await compat.trackInferenceRequest('gpt4')(async () => ({ tokenCount: 3 }))();
      await expect(compat.trackInferenceRequest('gpt4')(() => Promise.reject(new Error('cuda error: illegal memory access')))()).rejects.toThrow();
      compat.updateGpuMetrics('gpt4', 0, 1, 2, 3);
      compat.recordBatchProcessed('gpt4', 4);
      compat.updateQueueMetrics('gpt4', 1);
      const e = await scrape();
      for (const name of e.names().filter((n) => n.startsWith('ryot_') && !n.endsWith('_info'))) {
        for (const sample of e.get(name)) expect(sample.labels['model'], name).toBe('gpt4');
      }
      for (const s of e.get('ryot_inference_requests_total')) expect(['success', 'error', 'timeout', 'cancelled']).toContain(s.labels['status']);
      expect(e.get('ryot_inference_errors_total').map((s) => s.labels['error_type'])).toEqual(['cuda']);
    });

    it('concurrent requests: all counted once, in flight back to zero', async () => {
      const gates: (() => void)[] = [];
      const infer = compat.trackInferenceRequest('gpt4')(() => new Promise<string>((resolve) => gates.push(() => resolve('done'))));
      const pending = Array.from({ length: 50 }, () => infer());
      expect((await scrape()).value('ryot_inference_requests_in_flight', { model: 'gpt4' })).toBe(50);
      gates.forEach((open) => open());
      expect(await Promise.all(pending)).toHaveLength(50);
      const e = await scrape();
      expect(e.value('ryot_inference_requests_total', { model: 'gpt4', status: 'success' })).toBe(50);
      expect(e.value('ryot_inference_request_duration_seconds_count', { model: 'gpt4' })).toBe(50);
      expect(e.value('ryot_inference_requests_in_flight', { model: 'gpt4' })).toBe(0);
    });
  });

  describe('bad input through compat behaves as the core API does', () => {
    it('NaN, negatives, wrong types and unknown error types are dropped or coerced with one diagnostic each, never thrown', async () => {
      const untyped = compat as unknown as Record<string, (...args: unknown[]) => void>;
      for (let i = 0; i < 3; i++) {
        compat.updateGpuMetrics('gpt4', 0, Number.NaN, -1, 250);
        compat.recordQueueWait('gpt4', -5);
        compat.updateQueueMetrics('gpt4', 2.5);
        compat.updateTokenThroughput('gpt4', Number.POSITIVE_INFINITY);
        compat.recordBatchProcessed('gpt4', 0);
        compat.recordModelLoadTime('gpt4', Number.NaN);
        compat.updateCacheMetrics('gpt4', 1.5);
        compat.recordInferenceError('gpt4', 'segfault');
        untyped['recordBatchProcessed']!('gpt4', '8');
      }
      const e = await scrape();
      for (const name of ['ryot_gpu_memory_usage_bytes', 'ryot_gpu_memory_reserved_bytes', 'ryot_gpu_utilization_percent', 'ryot_inference_queue_size', 'ryot_tokens_per_second', 'ryot_batch_size_count', 'ryot_model_loading_duration_seconds', 'ryot_model_cache_hit_ratio', 'ryot_inference_queue_wait_seconds_count']) {
        expect(e.get(name), name).toEqual([]);
      }
      expect(e.value('ryot_inference_errors_total', { model: 'gpt4', error_type: 'unknown' })).toBe(3);
      // One warning per (metric, problem), however often it happens: GPU used, reserved, utilization, queue wait,
      // queue size, throughput, batch size, model load, cache ratio, error type.
      expect(warnings).toHaveLength(10);
      expect(new Set(warnings).size).toBe(10);
    });

    it('10k distinct models stay at the model bound plus __overflow__', async () => {
      for (let i = 0; i < 10_000; i++) compat.recordInferenceError(`model-${i}`, 'oom');
      const e = await scrape();
      const models = new Set(e.get('ryot_inference_errors_total').map((s) => s.labels['model']));
      expect(models.size).toBe(101);
      expect(models.has('__overflow__')).toBe(true);
      expect(e.value('ryot_inference_errors_total', { model: '__overflow__', error_type: 'oom' })).toBe(10_000 - 100);
    });
  });
});
