/**
 * ryot_cost_usd_total against bills worked out by hand from a price table (USD per million tokens), both
 * aggregation paths.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { AGGREGATION_PATHS, createTestRyot, findMetric, type TestRyotOptions, captureDiagWarnings } from '../src/testing.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

const PRICES = {
  models: {
    // An Anthropic-style table: cache reads a tenth of input, cache writes 1.25×, reasoning billed as output.
    sonnet: { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3, cacheWritePerMillion: 3.75 },
    // An OpenAI-style one: cached input at half price, no cache-write price (defaults to input).
    mini: { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 },
  },
};

/** ryot_cost_usd as { token_type: USD } for one model. */
function bill(all: MetricData[], model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of findMetric(all, 'ryot_cost_usd')?.dataPoints ?? []) if (p.attributes['model'] === model) out[String(p.attributes['token_type'])] = p.value as number;
  return out;
}

function expectBill(actual: Record<string, number>, expected: Record<string, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [type, usd] of Object.entries(expected)) expect(actual[type], type).toBeCloseTo(usd, 12);
}

describe.each(AGGREGATION_PATHS)('cost through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}) => createTestRyot({ ...options, aggregation });

  it('bills each token type once, at its price, as worked out by hand', async () => {
    const h = testRyot({ prices: PRICES });
    let summary: unknown;
    // sonnet: 10 000 prompt tokens of which 8 000 read from the cache and 1 000 written to it; 2 000 output tokens
    // of which 500 reasoning.
    //   input       (10 000 − 8 000 − 1 000) × 3    / 1e6 = 0.003
    //   cache_read             8 000        × 0.3  / 1e6 = 0.0024
    //   cache_write            1 000        × 3.75 / 1e6 = 0.00375
    //   output           (2 000 − 500)      × 15   / 1e6 = 0.0225
    //   reasoning                500        × 15   / 1e6 = 0.0075   (no reasoning price: the output price)
    //                                                total 0.03915
    const ctx = h.api.startInference({ model: 'sonnet', promptTokens: 10_000, onEnd: (s) => (summary = s.cost) });
    ctx.setCacheReadTokens(8_000);
    ctx.setCacheWriteTokens(1_000);
    ctx.setCompletionTokens(2_000);
    ctx.setReasoningTokens(500);
    ctx.end();
    // A second sonnet request: a million prompt tokens and nothing else: input 1 000 000 × 3 / 1e6 = 3.
    h.api.startInference({ model: 'sonnet', promptTokens: 1_000_000 }).end();
    // mini: 1 200 prompt tokens, 1 024 cached; 300 output tokens, 128 reasoning.
    //   input      176 × 2.5  / 1e6 = 0.00044
    //   cache_read 1 024 × 1.25 / 1e6 = 0.00128
    //   output     172 × 10   / 1e6 = 0.00172
    //   reasoning  128 × 10   / 1e6 = 0.00128
    const mini = h.api.startInference({ model: 'mini', promptTokens: 1_200 });
    mini.setCacheReadTokens(1_024);
    mini.setCompletionTokens(300);
    mini.setReasoningTokens(128);
    mini.end();
    // A model without prices is not billed.
    h.api.startInference({ model: 'unpriced', promptTokens: 50 }).end();
    const all = await h.metrics();
    expectBill(bill(all, 'sonnet'), { input: 3.003, cache_read: 0.0024, cache_write: 0.00375, output: 0.0225, reasoning: 0.0075 });
    expectBill(bill(all, 'mini'), { input: 0.00044, cache_read: 0.00128, output: 0.00172, reasoning: 0.00128 });
    expect(bill(all, 'unpriced')).toEqual({});
    const first = summary as Record<string, number>;
    expect(Object.values(first).reduce((a, b) => a + b, 0)).toBeCloseTo(0.03915, 12);
  });

  it('bills output counted from tokens when no usage was reported, and failed requests for what they used', async () => {
    const h = testRyot({ prices: { default: { inputPerMillion: 1, outputPerMillion: 4 } } });
    // Streamed: 250 tokens counted, 40 prompt tokens, then a CUDA error. 40 × 1 / 1e6 and 250 × 4 / 1e6.
    const ctx = h.api.startInference({ model: 'any', promptTokens: 40 });
    for (let i = 0; i < 250; i++) ctx.recordToken();
    ctx.fail(new Error('CUDA error'));
    const all = await h.metrics();
    expectBill(bill(all, 'any'), { input: 0.00004, output: 0.001 });
  });

  it('never bills a part twice when a report is inconsistent, and says so once', async () => {
    const h = testRyot({ prices: { default: { inputPerMillion: 2, outputPerMillion: 8 } } });
    for (let i = 0; i < 2; i++) {
      // 50 cached tokens out of a 20-token prompt: the uncached input is clamped at 0, the cache read billed once.
      const ctx = h.api.startInference({ model: 'm', promptTokens: 20 });
      ctx.setCacheReadTokens(50);
      ctx.setCompletionTokens(10);
      ctx.end();
    }
    const all = await h.metrics();
    // cache_read 2 × 50 × 2 / 1e6 = 0.0002; output 2 × 10 × 8 / 1e6 = 0.00016; no input line.
    expectBill(bill(all, 'm'), { cache_read: 0.0002, output: 0.00016 });
    expect(warnings.filter((w) => w.includes('cached tokens'))).toHaveLength(1);
  });
});
