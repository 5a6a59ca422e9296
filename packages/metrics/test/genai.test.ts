import { describe, expect, it } from 'vitest';
import { createTestRyot, histogram, AGGREGATION_PATHS, type TestRyotOptions } from '../src/testing.js';

describe.each(AGGREGATION_PATHS)('per-request series through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}, withViews?: boolean) => createTestRyot({ ...options, aggregation }, withViews);

  describe('optional GenAI semantic-convention server metrics', () => {
    it('are off by default', async () => {
      const harness = testRyot();
      harness.api.startInference({ model: 'm' }).end();
      const names = (await harness.metrics()).map((m) => m.descriptor.name);
      expect(names.some((n) => n.startsWith('gen_ai.'))).toBe(false);
    });

    it('emit duration, TTFT and time per output token with the semconv attributes and buckets', async () => {
      const harness = testRyot({ genAiSemconv: { providerName: 'vllm' } });
      const ctx = harness.api.startInference({ model: 'm' });
      harness.clock.advance(50);
      ctx.recordToken();
      for (let i = 0; i < 4; i++) {
        harness.clock.advance(25);
        ctx.recordToken();
      }
      ctx.end();
      harness.api.startInference({ model: 'm' }).fail(Object.assign(new Error('x'), { status: 429 }));
      const all = await harness.metrics();
      const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'vllm', 'gen_ai.request.model': 'm' };
      const duration = histogram(all, 'gen_ai.server.request.duration', base)!;
      expect(duration.sum).toBeCloseTo(0.15, 12);
      expect(duration.buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
      expect(histogram(all, 'gen_ai.server.time_to_first_token', base)!.sum).toBeCloseTo(0.05, 12);
      // (0.15 - 0.05) / (5 - 1) = 0.025 s per output token after the first.
      expect(histogram(all, 'gen_ai.server.time_per_output_token', base)!.sum).toBeCloseTo(0.025, 12);
      expect(histogram(all, 'gen_ai.server.request.duration', { ...base, 'error.type': 'rate_limit' })!.count).toBe(1);
      // TTFT and TPOT are for successful requests only.
      expect(histogram(all, 'gen_ai.server.time_to_first_token', base)!.count).toBe(1);
    });
  });

  describe('classification', () => {
    it('calls the configured classifier exactly once per failed request, with gen_ai on', async () => {
      let calls = 0;
      const harness = testRyot({
        genAiSemconv: true,
        classifyError: () => {
          calls++;
          return undefined;
        },
      });
      await expect(harness.api.trackInferenceRequest({ model: 'm' })(() => Promise.reject(new Error('x')))()).rejects.toThrow('x');
      const stream = harness.api.trackTokenGeneration({ model: 'm' })(async function* () {
        yield 'a';
        throw new Error('mid-stream');
      });
      await expect((async () => {
        for await (const _ of stream()) void _;
      })()).rejects.toThrow('mid-stream');
      harness.api.startInference({ model: 'm' }).fail(new Error('by hand'));
      expect(calls).toBe(3);
      const all = await harness.metrics();
      expect(histogram(all, 'gen_ai.server.request.duration', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'ryot',
        'gen_ai.request.model': 'm',
        'error.type': 'unknown',
      })?.count).toBe(3);
    });
  });
});
