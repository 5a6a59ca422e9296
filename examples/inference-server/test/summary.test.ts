import { describe, expect, it } from 'vitest';
import { ClientStats } from '../src/demo/client-stats.js';
import { renderSummary, summarize } from '../src/demo/summary.js';

/**
 * A scrape scripted by hand, in the exporter's layout (counters carry a tenant label, histograms do not), for two
 * models and the `unknown` one invalid requests are counted under. Every expected number below is worked out from
 * these lines, not read back from the code.
 */
const SCRAPE = String.raw`# TYPE ryot_inference_requests_total counter
ryot_inference_requests_total{model="alpha",status="success",tenant="t1"} 6
ryot_inference_requests_total{model="alpha",status="success",tenant="other"} 2
ryot_inference_requests_total{model="alpha",status="error",tenant="t1"} 1
ryot_inference_requests_total{model="alpha",status="cancelled",tenant="other"} 1
ryot_inference_requests_total{model="beta",status="success",tenant="t1"} 3
ryot_inference_requests_total{model="beta",status="timeout",tenant="t1"} 2
ryot_inference_requests_total{model="unknown",status="error"} 5
# TYPE ryot_inference_ttft_seconds histogram
ryot_inference_ttft_seconds_bucket{model="alpha",le="0.1"} 2
ryot_inference_ttft_seconds_bucket{model="alpha",le="0.2"} 6
ryot_inference_ttft_seconds_bucket{model="alpha",le="0.4"} 9
ryot_inference_ttft_seconds_bucket{model="alpha",le="0.8"} 10
ryot_inference_ttft_seconds_bucket{model="alpha",le="+Inf"} 10
ryot_inference_ttft_seconds_bucket{model="beta",le="0.1"} 0
ryot_inference_ttft_seconds_bucket{model="beta",le="0.2"} 0
ryot_inference_ttft_seconds_bucket{model="beta",le="0.4"} 0
ryot_inference_ttft_seconds_bucket{model="beta",le="0.8"} 0
ryot_inference_ttft_seconds_bucket{model="beta",le="+Inf"} 3
# TYPE ryot_inference_inter_token_latency_seconds histogram
ryot_inference_inter_token_latency_seconds_bucket{model="alpha",le="0.01"} 10
ryot_inference_inter_token_latency_seconds_bucket{model="alpha",le="0.02"} 30
ryot_inference_inter_token_latency_seconds_bucket{model="alpha",le="0.05"} 40
ryot_inference_inter_token_latency_seconds_bucket{model="alpha",le="+Inf"} 40
# TYPE ryot_inference_request_duration_seconds histogram
ryot_inference_request_duration_seconds_bucket{model="alpha",le="1"} 2
ryot_inference_request_duration_seconds_bucket{model="alpha",le="2.5"} 8
ryot_inference_request_duration_seconds_bucket{model="alpha",le="5"} 8
ryot_inference_request_duration_seconds_bucket{model="alpha",le="+Inf"} 10
# TYPE ryot_inference_queue_wait_seconds histogram
ryot_inference_queue_wait_seconds_bucket{model="alpha",le="0.01"} 5
ryot_inference_queue_wait_seconds_bucket{model="alpha",le="0.05"} 9
ryot_inference_queue_wait_seconds_bucket{model="alpha",le="0.1"} 10
ryot_inference_queue_wait_seconds_bucket{model="alpha",le="+Inf"} 10
# TYPE ryot_tokens_generated_total counter
ryot_tokens_generated_total{model="alpha",tenant="t1"} 240
ryot_tokens_generated_total{model="alpha",tenant="other"} 60
ryot_tokens_generated_total{model="beta",tenant="t1"} 50
# TYPE ryot_cache_lookups_total counter
ryot_cache_lookups_total{model="alpha"} 8
# TYPE ryot_cache_hits_total counter
ryot_cache_hits_total{model="alpha"} 6
# TYPE ryot_goodput_requests_total counter
ryot_goodput_requests_total{model="alpha",slo="ttft",met="true",tenant="t1"} 9
ryot_goodput_requests_total{model="alpha",slo="ttft",met="false",tenant="t1"} 1
ryot_goodput_requests_total{model="alpha",slo="all",met="true",tenant="t1"} 5
ryot_goodput_requests_total{model="alpha",slo="all",met="true",tenant="other"} 1
ryot_goodput_requests_total{model="alpha",slo="all",met="false",tenant="t1"} 2
ryot_goodput_requests_total{model="beta",slo="e2e",met="true",tenant="t1"} 3
ryot_goodput_requests_total{model="beta",slo="all",met="true",tenant="t1"} 1
ryot_goodput_requests_total{model="beta",slo="all",met="false",tenant="t1"} 2
ryot_goodput_requests_total{model="unknown",slo="all",met="false"} 5
# TYPE ryot_preemptions_total counter
ryot_preemptions_total{model="beta"} 4
# TYPE ryot_cost_usd_total counter
ryot_cost_usd_total{model="alpha",token_type="input",tenant="t1"} 0.5
ryot_cost_usd_total{model="alpha",token_type="output",tenant="t1"} 1.25
ryot_cost_usd_total{model="alpha",token_type="cache_read",tenant="other"} 0.004
ryot_cost_usd_total{model="beta",token_type="input",tenant="t1"} 12
ryot_cost_usd_total{model="beta",token_type="output",tenant="t1"} 30.5
`;

function alphaClients(): Map<string, ClientStats> {
  const alpha = new ClientStats();
  alpha.ttft.push(0.3, 0.05, 0.2, 0.1);
  alpha.itl.push(0.03, 0.01, 0.02);
  alpha.latency.push(2, 1);
  alpha.judged = 6;
  alpha.met = 3;
  return new Map([['alpha', alpha]]);
}

/** The cells of `model`'s line of a rendered summary (columns are two spaces or more apart). */
function cellsOf(table: string, model: string): string[] {
  return table
    .split('\n')
    .find((line) => line.startsWith(`${model} `))!
    .split(/ {2,}/)
    .map((cell) => cell.trim());
}

describe('the demo summary (summarize, renderSummary) from a scripted scrape', () => {
  const rows = summarize(SCRAPE, alphaClients(), 10);

  it('has one row per served model, sorted, without the unknown model of invalid requests', () => {
    expect(rows.map((row) => row.model)).toEqual(['alpha', 'beta']);
  });

  it('counts requests by status across tenants (a status with no series is 0)', () => {
    // alpha: success 6 (t1) + 2 (other); error 1; no timeout series; cancelled 1.
    expect(rows[0]!.byStatus).toBe('s:8 e:1 t:0 c:1');
    expect(rows[1]!.byStatus).toBe('s:3 e:0 t:2 c:0');
  });

  it('takes server quantiles from the buckets as histogram_quantile does, client quantiles by nearest rank', () => {
    const [alpha, beta] = rows;
    // TTFT, 10 observations, cumulative 2/6/9/10 at 0.1/0.2/0.4/0.8. p50: rank 5 falls in (0.1, 0.2], which holds 4,
    // 3 of them needed → 0.1 + 0.1 × 3/4 = 0.175. p95: rank 9.5 in (0.4, 0.8], 1 there, 0.5 needed → 0.6.
    expect(alpha!.server.ttft[0]).toBeCloseTo(0.175, 12);
    expect(alpha!.server.ttft[1]).toBeCloseTo(0.6, 12);
    // ITL, 40 observations at 10/30/40 ≤ 0.01/0.02/0.05. p50: rank 20 → 0.01 + 0.01 × 10/20 = 0.015.
    // p95: rank 38 → 0.02 + 0.03 × 8/10 = 0.044.
    expect(alpha!.server.itl[0]).toBeCloseTo(0.015, 12);
    expect(alpha!.server.itl[1]).toBeCloseTo(0.044, 12);
    // Latency, 10 at 2/8/8/10 ≤ 1/2.5/5/+Inf. p50: rank 5 → 1 + 1.5 × 3/6 = 1.75. p95: rank 9.5 lies in +Inf → the
    // highest finite bound, 5.
    expect(alpha!.server.latency[0]).toBeCloseTo(1.75, 12);
    expect(alpha!.server.latency[1]).toBe(5);
    // Queue wait p95, 10 at 5/9/10 ≤ 0.01/0.05/0.1: rank 9.5 → 0.05 + 0.05 × 0.5/1 = 0.075.
    expect(alpha!.queueWaitP95).toBeCloseTo(0.075, 12);
    // beta's 3 TTFTs are all above 0.8 s: both quantiles are the highest finite bound. It has no ITL, latency or wait.
    expect(beta!.server.ttft).toEqual([0.8, 0.8]);
    expect(beta!.server.itl.every(Number.isNaN)).toBe(true);
    expect(beta!.server.latency.every(Number.isNaN)).toBe(true);
    expect(beta!.queueWaitP95).toBeNaN();
    // Client TTFTs sorted 0.05/0.1/0.2/0.3: p50 rank ceil(2) = 2 → 0.1; p95 rank ceil(3.8) = 4 → 0.3.
    expect(alpha!.client.ttft).toEqual([0.1, 0.3]);
    // ITL 0.01/0.02/0.03: ranks ceil(1.5) = 2 and ceil(2.85) = 3. Latency 1/2: ranks 1 and 2.
    expect(alpha!.client.itl).toEqual([0.02, 0.03]);
    expect(alpha!.client.latency).toEqual([1, 2]);
    expect(beta!.client.ttft.every(Number.isNaN)).toBe(true);
  });

  it('tokens per second over the run, cache hit ratio, goodput of slo="all" only, preemptions and spend', () => {
    const [alpha, beta] = rows;
    // (240 + 60) tokens / 10 s; beta 50 / 10.
    expect(alpha!.tokensPerSecond).toBe(30);
    expect(beta!.tokensPerSecond).toBe(5);
    // 6 hits / 8 lookups; beta made no lookup.
    expect(alpha!.cacheHitRatio).toBe(0.75);
    expect(beta!.cacheHitRatio).toBeNaN();
    // alpha slo="all": met 5 + 1 = 6 of 6 + 2 = 8 judged (the slo="ttft" series are not counted). Clients: 3 of 6.
    expect(alpha!.goodput).toEqual({ server: 0.75, client: 0.5 });
    // beta slo="all": 1 met of 3; no client stream was judged.
    expect(beta!.goodput.server).toBeCloseTo(1 / 3, 12);
    expect(beta!.goodput.client).toBeNaN();
    expect(alpha!.preemptions).toBe(0);
    expect(beta!.preemptions).toBe(4);
    // Every token type and tenant: 0.5 + 1.25 + 0.004; 12 + 30.5.
    expect(alpha!.spendUsd).toBeCloseTo(1.754, 12);
    expect(beta!.spendUsd).toBe(42.5);
  });

  it('renders those numbers in the table', () => {
    const table = renderSummary(rows, 5);
    const cells = (model: string) => cellsOf(table, model);
    expect(cells('alpha')).toEqual([
      'alpha',
      's:8 e:1 t:0 c:1',
      '175ms / 600ms | 100ms / 300ms',
      '15.0ms / 44.0ms | 20.0ms / 30.0ms',
      '1.75s / 5.00s | 1.00s / 2.00s',
      '30',
      '75%',
      '75.0ms',
      '75% | 50%',
      '0',
      '$1.75',
    ]);
    expect(cells('beta')).toEqual(['beta', 's:3 e:0 t:2 c:0', '800ms / 800ms | - / -', '- / - | - / -', '- / - | - / -', '5', '-', '-', '33% | -', '4', '$42.50']);
    expect(table).toContain('negative max_tokens): 5,');
  });
});

describe('the goodput the demo prints', () => {
  it('is 100% only when every judged request met its targets, and 0% only when none did', () => {
    const judged = (model: string, met: number, missed: number) => [
      `ryot_inference_requests_total{model="${model}",status="success"} ${met + missed}`,
      `ryot_goodput_requests_total{model="${model}",slo="all",met="true"} ${met}`,
      `ryot_goodput_requests_total{model="${model}",slo="all",met="false"} ${missed}`,
    ];
    const scrape = [...judged('a-all', 200, 0), ...judged('b-one-miss', 199, 1), ...judged('c-one-met', 1, 299), ...judged('d-none', 0, 5), ...judged('e-half', 1, 1)].join('\n');
    const table = renderSummary(summarize(`${scrape}\n`, new Map(), 1), 0);
    const goodput = (model: string) => cellsOf(table, model)[8];
    expect(goodput('a-all')).toBe('100% | -');
    // 199/200 = 99.5 % would round to 100%, hiding the miss; 1/300 = 0.33 % would round to 0%.
    expect(goodput('b-one-miss')).toBe('99% | -');
    expect(goodput('c-one-met')).toBe('<1% | -');
    expect(goodput('d-none')).toBe('0% | -');
    expect(goodput('e-half')).toBe('50% | -');
  });
});
