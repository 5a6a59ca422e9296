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

    it('rejects bad SLO targets, prices and tenant options at configuration time, naming the option, and keeps the old ones', async () => {
      const cases: [unknown, RegExp][] = [
        [{ slo: { default: { ttftSeconds: 500 } } }, /seconds in \(0, 300\] for slo\.default\.ttftSeconds .*milliseconds/],
        [{ slo: { default: { tpotSeconds: 50 } } }, /seconds in \(0, 10\] for slo\.default\.tpotSeconds/],
        [{ slo: { models: { m: { ttft: 0.5 } } } }, /Unknown key "ttft" in slo\.models\["m"\]/],
        [{ slo: { models: { m: {} } } }, /slo\.models\["m"\] declares no target/],
        [{ slo: { models: { m: { e2eSeconds: 0 } } } }, /slo\.models\["m"\]\.e2eSeconds/],
        [{ slo: { llama: { ttftSeconds: 1 } } }, /Unknown key "llama" in slo \(expected default and models\)/],
        [{ slo: { models: { '': { ttftSeconds: 1 } } } }, /slo\.models has an empty model name/],
        [{ prices: { default: { inputPerMilion: 3, outputPerMillion: 15 } } }, /Unknown key "inputPerMilion" in prices\.default/],
        [{ prices: { models: { m: { inputPerMillion: 3 } } } }, /prices\.models\["m"\]\.outputPerMillion but received undefined/],
        [{ prices: { models: { m: { inputPerMillion: -1, outputPerMillion: 1 } } } }, /non-negative number of USD per million tokens for prices\.models\["m"\]\.inputPerMillion/],
        [{ prices: { default: { inputPerMillion: 1, outputPerMillion: Number.NaN } } }, /prices\.default\.outputPerMillion/],
        [{ prices: 'cheap' }, /\{ default\?, models\? \} for prices/],
        [{ tenants: {} }, /exactly one of allow .* or topK/],
        [{ tenants: { allow: ['a'], topK: 3 } }, /exactly one of allow/],
        [{ tenants: { topK: 0 } }, /integer in 1\.\.1000 for tenants\.topK/],
        [{ tenants: { topK: 5, admitEverySeconds: -1 } }, /tenants\.admitEverySeconds/],
        [{ tenants: { allow: ['other'] } }, /tenants\.allow cannot name "other"/],
        [{ tenants: { allow: [] } }, /tenants\.allow/],
        [{ tenants: { allow: ['a'], minRequests: 3 } }, /go with topK/],
        [{ tenants: { topK: 3, hash: 'yes' } }, /tenants\.hash/],
        [{ tenants: { top: 3 } }, /Unknown key "top" in tenants/],
      ];
      for (const [options, message] of cases) {
        expect(() => createRyot(options as never), JSON.stringify(options)).toThrow(RyotConfigError);
        expect(() => createRyot(options as never), JSON.stringify(options)).toThrow(message);
      }
      // A failed configure changes nothing: the earlier targets still judge.
      const harness = testRyot({ slo: { default: { e2eSeconds: 1 } } });
      expect(() => harness.api.configure({ slo: { default: { e2eSeconds: -1 } } })).toThrow(RyotConfigError);
      harness.api.startInference({ model: 'm' }).end();
      expect(value(await harness.metrics(), 'ryot_goodput_requests', { model: 'm', slo: 'e2e', met: 'true' })).toBe(1);
    });

    it('drops bad engine timings and finish reasons at record time, one diagnostic each', async () => {
      const harness = testRyot();
      const ctx = harness.api.startInference({ model: 'm' });
      ctx.setEngineTimings({ prefillSeconds: -1, decodeSeconds: Number.NaN, queueSeconds: Number.POSITIVE_INFINITY });
      ctx.setEngineTimings({ prefillSeconds: -2 });
      ctx.setEngineTimings(null as never);
      ctx.setFinishReason(7 as unknown as string);
      ctx.end();
      const all = await harness.metrics();
      expect(histogram(all, 'ryot_inference_prefill_seconds', { model: 'm' })).toBeUndefined();
      expect(histogram(all, 'ryot_inference_queue_wait_seconds', { model: 'm' })).toBeUndefined();
      expect(value(all, 'ryot_inference_finished', { model: 'm', finish_reason: 'unknown' })).toBe(1);
      // prefillSeconds, decodeSeconds, queueSeconds, the null timings, the finish reason.
      expect(warnings).toHaveLength(5);
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
