import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RyotConfigError, createRyot } from '../src/index.js';
import { OVERFLOW_LABEL } from '../src/instrumentation.js';
import { createTestRyot, findMetric, histogram, value, AGGREGATION_PATHS, type TestRyotOptions, captureDiagWarnings } from '../src/testing.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

describe.each(AGGREGATION_PATHS)('per-request series through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}, withViews?: boolean) => createTestRyot({ ...options, aggregation }, withViews);

  describe('bad input never reaches user code', () => {
    it('drops NaN, negative and infinite values with one diagnostic per kind', async () => {
      const harness = testRyot();
      const ctx = harness.api.startInference({ model: 'm' });
      for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NaN, -5]) ctx.recordToken(bad);
      ctx.recordItl(Number.NaN);
      ctx.recordItl(-0.2);
      ctx.setPromptTokens(1.5);
      ctx.end();
      harness.api.recordModelLoad('m', Number.NaN);
      harness.api.recordModelLoad('m', -3);
      harness.api.recordBatch({ model: 'm', size: 0 });
      harness.api.updateGpuMetrics({ model: 'm', gpuId: 0, usedBytes: Number.NaN, utilization: 140 });
      harness.api.recordCacheLookup({ model: 'm', hits: 3, lookups: 2 });
      const all = await harness.metrics();
      expect(ctx.tokenCount).toBe(0);
      expect(histogram(all, 'ryot_inference_inter_token_latency_seconds', { model: 'm' })).toBeUndefined();
      expect(value(all, 'ryot_model_loading_duration_seconds', { model: 'm' })).toBeUndefined();
      expect(findMetric(all, 'ryot_gpu_utilization_percent')?.dataPoints ?? []).toHaveLength(0);
      expect(value(all, 'ryot_cache_lookups', { model: 'm' })).toBeUndefined();
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(1);
      // One warning per (metric, problem): token count, ITL, prompt tokens, model load, batch, GPU used, GPU util, cache.
      expect(warnings).toHaveLength(8);
      expect(warnings.every((w) => w.startsWith('@ryot/metrics: '))).toBe(true);
    });

    it('coerces or replaces non-string model names, once each', async () => {
      const harness = testRyot();
      harness.api.startInference({ model: 42 as unknown as string }).end();
      harness.api.startInference({ model: 43 as unknown as string }).end();
      harness.api.startInference({ model: { name: 'x' } as unknown as string }).end();
      harness.api.startInference({ model: undefined as unknown as string }).end();
      harness.api.startInference({ model: '' }).end();
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: '42', status: 'success' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { model: 'unknown', status: 'success' })).toBe(3);
      expect(warnings).toHaveLength(3);
    });

    it('falls back to the built-in classifier when the user classifier throws or answers nonsense', async () => {
      let calls = 0;
      const harness = testRyot({
        classifyError: (error) => {
          calls++;
          if (error instanceof RangeError) throw new Error('classifier bug');
          if (error instanceof SyntaxError) return 'bogus' as 'oom';
          if ((error as Error).message === 'mine') return 'rate_limit';
          return undefined;
        },
      });
      const failing = (error: Error) =>
        harness.api.trackInferenceRequest({ model: 'm' })(async () => {
          throw error;
        })();
      const original = new RangeError('request timed out');
      await expect(failing(original)).rejects.toBe(original);
      await expect(failing(new SyntaxError('out of memory'))).rejects.toThrow();
      await expect(failing(new Error('mine'))).rejects.toThrow();
      await expect(failing(new Error('plain'))).rejects.toThrow();
      const all = await harness.metrics();
      expect(calls).toBeGreaterThanOrEqual(4);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'timeout' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'oom' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'rate_limit' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'unknown' })).toBe(1);
      expect(warnings.filter((w) => w.includes('classifyError'))).toHaveLength(2);
    });

    it('rejects bad configuration at configuration time, naming the option', () => {
      expect(() => createRyot({ maxModels: 0 })).toThrow(RyotConfigError);
      expect(() => createRyot({ maxModels: 2.5 })).toThrow(/positive integer for maxModels/);
      expect(() => createRyot({ clock: 5 as unknown as () => number })).toThrow(/function for clock/);
      expect(() => createRyot({ meterProvider: {} as never })).toThrow(/MeterProvider/);
      const ryot = createRyot({ maxModels: 3 });
      expect(() => ryot.configure({ maxModels: -1 })).toThrow(RyotConfigError);
    });
  });

  describe('cardinality guard on the model label', () => {
    it('keeps N distinct models and folds the rest into one overflow series', async () => {
      const harness = testRyot({ maxModels: 5 });
      for (let i = 0; i < 10_000; i++) harness.api.startInference({ model: `user-model-${i}` }).end();
      const all = await harness.metrics();
      const requests = findMetric(all, 'ryot_inference_requests')!;
      const models = requests.dataPoints.map((p) => p.attributes['model']);
      expect(models).toHaveLength(6);
      expect(models).toContain(OVERFLOW_LABEL);
      expect(value(all, 'ryot_inference_requests', { model: OVERFLOW_LABEL, status: 'success' })).toBe(9_995);
      expect(value(all, 'ryot_inference_requests', { model: 'user-model-0', status: 'success' })).toBe(1);
      expect(warnings.filter((w) => w.includes('distinct model'))).toHaveLength(1);
      // Later collections do not grow either: the guard, not OTel's per-cycle limit, bounds the series.
      for (let i = 10_000; i < 12_000; i++) harness.api.startInference({ model: `user-model-${i}` }).end();
      expect(findMetric(await harness.metrics(), 'ryot_inference_requests')!.dataPoints).toHaveLength(6);
    });
  });
});
