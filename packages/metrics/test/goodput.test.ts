/**
 * Goodput against per-model SLO targets: scripted requests on an injected clock, each judged by hand in the comments,
 * then the counters compared with the hand count; both aggregation paths.
 */
import { describe, expect, it } from 'vitest';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { AGGREGATION_PATHS, createTestRyot, findMetric, type TestRyot, type TestRyotOptions } from '../src/testing.js';

/** ryot_goodput_requests as { "slo/met": count } for one model. */
function goodput(all: MetricData[], model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of findMetric(all, 'ryot_goodput_requests')?.dataPoints ?? []) {
    if (p.attributes['model'] !== model) continue;
    out[`${String(p.attributes['slo'])}/${String(p.attributes['met'])}`] = p.value as number;
  }
  return out;
}

type Script = { ttftMs?: number; tokens?: number; gapMs?: number; endMs: number; how: 'end' | 'timeout' | 'error' | 'cancel'; count?: number };

/** One request: a first token at ttftMs, then tokens − 1 more gapMs apart (or a whole-response count), ended at endMs. */
function run(h: TestRyot, model: string, script: Script): void {
  const ctx = h.api.startInference({ model });
  let at = 0;
  if (script.ttftMs !== undefined) {
    h.clock.advance(script.ttftMs);
    at = script.ttftMs;
    ctx.recordToken();
    for (let i = 1; i < (script.tokens ?? 1); i++) {
      h.clock.advance(script.gapMs!);
      at += script.gapMs!;
      ctx.recordToken();
    }
  }
  if (script.count !== undefined) ctx.setTokenCount(script.count);
  h.clock.advance(script.endMs - at);
  if (script.how === 'end') ctx.end();
  else if (script.how === 'cancel') ctx.abort();
  else ctx.fail(script.how === 'timeout' ? new DOMException('deadline', 'TimeoutError') : new Error('CUDA error'));
}

describe.each(AGGREGATION_PATHS)('goodput through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}) => createTestRyot({ ...options, aggregation });

  it('judges each declared target and all of them, as worked out by hand', async () => {
    const h = testRyot({ slo: { default: { ttftSeconds: 0.5, tpotSeconds: 0.05, e2eSeconds: 2 } } });
    // 1. Success: TTFT 0.2, 11 tokens 50 ms apart, end 0.7 s. TPOT (0.7 − 0.2)/10 = 0.05: met (equal meets).
    //    ttft met, tpot met, e2e 0.7 met, all met.
    run(h, 'm', { ttftMs: 200, tokens: 11, gapMs: 50, endMs: 700, how: 'end' });
    // 2. Success: TTFT 0.6, 3 tokens, end 0.8 s. TPOT (0.8 − 0.6)/2 = 0.1. ttft missed, tpot missed, e2e met, all missed.
    run(h, 'm', { ttftMs: 600, tokens: 3, gapMs: 100, endMs: 800, how: 'end' });
    // 3. Success without timed tokens (a whole response of 40), 2.5 s: ttft and tpot not judged; e2e missed, all missed.
    run(h, 'm', { count: 40, endMs: 2500, how: 'end' });
    // 4. Error after 0.3 s, no token: within the TTFT and e2e targets so far, so neither is judged; all missed.
    run(h, 'm', { endMs: 300, how: 'error' });
    // 5. Timeout after 3 s, no token: ttft missed (3 > 0.5), e2e missed (3 > 2), all missed.
    run(h, 'm', { endMs: 3000, how: 'timeout' });
    // 6. Cancelled at 0.1 s after a 0.05 s first token: ttft met; nothing missed yet, so all is not judged.
    run(h, 'm', { ttftMs: 50, endMs: 100, how: 'cancel' });
    // 7. Cancelled at 1 s without a token: ttft missed (1 > 0.5), so all missed; e2e not judged (1 < 2).
    run(h, 'm', { endMs: 1000, how: 'cancel' });
    // 8. Success with one token: TTFT 0.1, end 0.1 s: ttft met, tpot not judged (one token), e2e met, all met.
    run(h, 'm', { ttftMs: 100, endMs: 100, how: 'end' });
    const all = await h.metrics();
    expect(goodput(all, 'm')).toEqual({
      'ttft/true': 3, // 1, 6, 8
      'ttft/false': 3, // 2, 5, 7
      'tpot/true': 1, // 1
      'tpot/false': 1, // 2
      'e2e/true': 3, // 1, 2, 8
      'e2e/false': 2, // 3, 5
      'all/true': 2, // 1, 8
      'all/false': 5, // 2, 3, 4, 5, 7
    });
  });

  it('labels only the declared targets; models without targets record no goodput; per-model entries win over the default', async () => {
    const h = testRyot({ slo: { default: { e2eSeconds: 1 }, models: { strict: { ttftSeconds: 0.1 } } } });
    run(h, 'loose', { ttftMs: 300, tokens: 2, gapMs: 10, endMs: 500, how: 'end' }); // e2e 0.5 ≤ 1: met
    run(h, 'strict', { ttftMs: 300, tokens: 2, gapMs: 10, endMs: 500, how: 'end' }); // ttft 0.3 > 0.1: missed
    h.api.configure({ slo: { models: { strict: { ttftSeconds: 0.1 } } } });
    run(h, 'loose', { ttftMs: 300, endMs: 300, how: 'end' }); // no default any more: not judged
    run(h, 'newcomer', { ttftMs: 300, endMs: 300, how: 'end' });
    const all = await h.metrics();
    expect(goodput(all, 'loose')).toEqual({ 'e2e/true': 1, 'all/true': 1 });
    expect(goodput(all, 'strict')).toEqual({ 'ttft/false': 1, 'all/false': 1 });
    expect(goodput(all, 'newcomer')).toEqual({});
  });

  it('hands the judgments to onEnd', async () => {
    const h = testRyot({ slo: { models: { m: { ttftSeconds: 0.5, e2eSeconds: 1 } } } });
    const summaries: unknown[] = [];
    const ctx = h.api.startInference({ model: 'm', onEnd: (s) => summaries.push(s.goodput) });
    h.clock.advance(600);
    ctx.recordToken();
    ctx.end();
    expect(summaries).toEqual([{ ttft: false, e2e: true, all: false }]);
  });
});
