/**
 * The reference Python library's metric set as a contract: a scripted workload through `@ryot/metrics/compat`
 * (three models, every reference function), served by the Prometheus preset, scraped by a real Prometheus, and
 * checked family by family through its HTTP API: the same name and TYPE, a superset of the label names, a
 * superset of the `le` boundaries, and the values worked out by hand below.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, recordCacheLookup, recordRetry } from '@ryot/metrics';
import { captureDiagWarnings } from '@ryot/metrics/testing';
import {
  InferenceContext,
  modelInfo,
  recordBatchProcessed,
  recordInferenceError,
  recordModelLoadTime,
  recordQueueWait,
  systemInfo,
  trackInferenceRequest,
  trackTokenGeneration,
  updateCacheMetrics,
  updateGpuMetrics,
  updateQueueMetrics,
  updateTokenThroughput,
} from '@ryot/metrics/compat';
import { startTelemetry, type TelemetryHandle } from '@ryot/exporters';
import { PROMETHEUS_BIN, failIfMissing, promqlBlocks, requireBinary, startPrometheus, type RunningPrometheus, type VectorSample } from '../helpers/prometheus.js';
import { REFERENCE } from './reference-metrics.js';

const gate = requireBinary(PROMETHEUS_BIN);
const SCRAPE_LABELS = new Set(['__name__', 'job', 'instance', 'otel_scope_name', 'otel_scope_version', 'le']);

let now = 1_000_000;
const advance = (ms: number) => void (now += ms);
let diagnostics: ReturnType<typeof captureDiagWarnings> | undefined;
let telemetry: TelemetryHandle;
let prometheus: RunningPrometheus;

/** Every reference function, three models; the expected values in the tests follow from these lines. */
async function workload(): Promise<void> {
  // claude: a request that times out after 2 s.
  await trackInferenceRequest('claude')(async () => {
    advance(2000);
    throw Object.assign(new Error('deadline exceeded'), { name: 'TimeoutError' });
  })().catch(() => undefined);
  // gpt4: two 200 ms successes of 50 tokens with a 40 ms TTFT, and a 100 ms CUDA OOM.
  const gpt4 = trackInferenceRequest('gpt4')(async () => {
    advance(200);
    return { tokenCount: 50, ttftSeconds: 0.04 };
  });
  await gpt4();
  await gpt4();
  await trackInferenceRequest('gpt4')(async () => {
    advance(100);
    throw new Error('CUDA out of memory');
  })().catch(() => undefined);
  // claude: the seed's context-manager example, TTFT 120 ms, five tokens 20 ms apart.
  {
    using ctx = new InferenceContext('claude');
    ctx.setTtft(0.12);
    for (let i = 0; i < 5; i++) {
      ctx.setTokenCount(ctx.tokenCount + 1);
      ctx.recordInterTokenLatency(0.02);
      advance(20);
    }
  }
  // llama: a stream with TTFT 30 ms and gaps of 10, 20 and 40 ms.
  const stream = trackTokenGeneration('llama')(async function* () {
    for (const gap of [30, 10, 20, 40]) {
      advance(gap);
      yield 'token';
    }
  });
  for await (const _token of stream()) void _token;
  for (const [model, spelling] of [
    ['gpt4', 'invalid_input'],
    ['claude', 'cuda_error'],
    ['claude', 'runtime_error'],
    ['llama', 'oom'],
    ['llama', 'timeout'],
  ] as const) {
    recordInferenceError(model, spelling);
  }
  updateGpuMetrics('llama', 0, 6e9, 8e9, 75);
  updateGpuMetrics('llama', 1, 2e9, 8e9, 30);
  updateGpuMetrics('llama', 2, 1e9, 4e9, 10);
  updateGpuMetrics('gpt4', 0, 3e9, 4e9, 20);
  for (const size of [1, 2, 3, 64, 128, 200]) recordBatchProcessed('llama', size);
  updateQueueMetrics('llama', 7);
  recordQueueWait('llama', 0.3);
  recordQueueWait('llama', 45);
  recordRetry({ model: 'llama', count: 2 });
  updateTokenThroughput('gpt4', 42.5);
  recordModelLoadTime('gpt4', 12.5);
  recordModelLoadTime('gpt4', 3.25);
  updateCacheMetrics('gpt4', 0.8);
  recordCacheLookup({ model: 'llama', hits: 4, lookups: 8 });
  systemInfo.info({ environment: 'test', version: '1.0.0' });
  modelInfo.info({ models: 'gpt4, claude, llama' });
  // Close the current second so the 10 s token rate sees every token.
  advance(1000);
}

const migration = readFileSync(new URL('../../packages/metrics/MIGRATION.md', import.meta.url), 'utf8');

/**
 * What each `promql` block of MIGRATION.md answers for the workload, by model. Per-model memory efficiency is
 * used ÷ reserved over all of a model's GPUs: llama (6 + 2 + 1) / (8 + 8 + 4) GB = 0.45 (the mean of its
 * per-GPU ratios would be 0.4167, their sum 1.25), gpt4 3 / 4 GB = 0.75. The counter-based cache ratio is the
 * hits over the lookups added while Prometheus watched (beforeAll): llama 3 of 4 = 0.75 (over everything since
 * start it would be 7 of 12). Both counters come from the same scrapes, so rate()'s extrapolation cancels out: it
 * stretches both by the same factor, and neither is cut at its zero point because each started at least as high
 * as it then grew (4 then +3, 8 then +4).
 */
const MIGRATION_QUERY_ANSWERS: Record<string, Record<string, number>> = {
  'sum by (model) (ryot_gpu_memory_usage_bytes) / sum by (model) (ryot_gpu_memory_reserved_bytes)': { llama: 0.45, gpt4: 0.75 },
  'sum by (model) (rate(ryot_cache_hits_total[5m])) / sum by (model) (rate(ryot_cache_lookups_total[5m]))': { llama: 0.75 },
};

const leValue = (le: string | undefined) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));

async function series(name: string): Promise<VectorSample[]> {
  return prometheus.vector(`{__name__="${name}", job="ryot"}`);
}

async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const match = (await series(name)).filter((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
  if (match.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${match.length} series`);
  return match[0] === undefined ? undefined : Number(match[0].value[1]);
}

/** Cumulative bucket counts of one histogram series, by numeric `le`. */
async function buckets(name: string, labels: Record<string, string>): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const s of await series(`${name}_bucket`)) {
    if (Object.entries(labels).every(([k, v]) => s.metric[k] === v)) out.set(leValue(s.metric['le']), Number(s.value[1]));
  }
  return out;
}

describe.skipIf(!gate.run)('the reference metric set, scraped by a real Prometheus', () => {
  beforeAll(async () => {
    failIfMissing(gate);
    diagnostics = captureDiagWarnings();
    configure({ clock: () => now });
    telemetry = await startTelemetry({ prometheus: { host: '127.0.0.1', port: 0 }, gpu: false });
    await workload();
    prometheus = await startPrometheus({ scrape: `127.0.0.1:${telemetry.prometheus!.port}` });
    await prometheus.waitFor('ryot_model_info', (result) => result.length === 1);
    // Cache lookups while Prometheus watches, for the counter-based ratio: two samples before, one after.
    const lookupSamples = 'count_over_time(ryot_cache_lookups_total{job="ryot", model="llama"}[5m])';
    await prometheus.waitFor(lookupSamples, (result) => Number(result[0]?.value[1] ?? 0) >= 2);
    recordCacheLookup({ model: 'llama', hits: 3, lookups: 4 });
    await prometheus.waitFor('ryot_cache_lookups_total{job="ryot", model="llama"}', (result) => Number(result[0]?.value[1]) === 12);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await telemetry?.shutdown();
    diagnostics?.restore();
  });

  it('has every reference family under the same name and TYPE', async () => {
    const response = await fetch(`${prometheus.url}/api/v1/metadata`);
    const metadata = ((await response.json()) as { data: Record<string, { type: string }[]> }).data;
    for (const [name, expected] of Object.entries(REFERENCE)) {
      expect(metadata[name]?.[0]?.type, name).toBe(expected.type);
    }
  });

  it('carries a superset of each family\'s label names', async () => {
    for (const [name, expected] of Object.entries(REFERENCE)) {
      const sampleName = expected.type === 'histogram' ? `${name}_count` : name;
      const found = await series(sampleName);
      expect(found.length, name).toBeGreaterThan(0);
      for (const sample of found) {
        const labels = Object.keys(sample.metric).filter((key) => !SCRAPE_LABELS.has(key));
        expect(labels, name).toEqual(expect.arrayContaining(expected.labels));
      }
    }
  });

  it('has a superset of each histogram\'s le boundaries', async () => {
    for (const [name, expected] of Object.entries(REFERENCE)) {
      if (!expected.buckets) continue;
      const les = new Set((await series(`${name}_bucket`)).map((s) => leValue(s.metric['le'])));
      expect([...les], name).toEqual(expect.arrayContaining([...expected.buckets, Number.POSITIVE_INFINITY]));
    }
  });

  it('counts requests and errors as scripted, with the reference spellings mapped', async () => {
    const requests = Object.fromEntries(
      (await series('ryot_inference_requests_total')).map((s) => [`${s.metric['model']}/${s.metric['status']}`, Number(s.value[1])]),
    );
    expect(requests).toEqual({ 'gpt4/success': 2, 'gpt4/error': 1, 'claude/timeout': 1, 'claude/success': 1, 'llama/success': 1 });
    const errors = Object.fromEntries(
      (await series('ryot_inference_errors_total')).map((s) => [`${s.metric['model']}/${s.metric['error_type']}`, Number(s.value[1])]),
    );
    expect(errors).toEqual({
      'gpt4/oom': 1,
      'gpt4/invalid_request': 1,
      'claude/timeout': 1,
      'claude/cuda': 1,
      'claude/unknown': 1,
      'llama/oom': 1,
      'llama/timeout': 1,
    });
    expect(await value('ryot_inference_retries_total', { model: 'llama' })).toBe(2);
  });

  it('puts every latency in its hand-computed bucket', async () => {
    // gpt4: 0.2, 0.2 and 0.1 s; claude: 2 s (timeout) and 0.1 s (context); llama 0.1 s.
    const gpt4 = await buckets('ryot_inference_request_duration_seconds', { model: 'gpt4' });
    expect([gpt4.get(0.05), gpt4.get(0.1), gpt4.get(0.25), gpt4.get(Infinity)]).toEqual([0, 1, 3, 3]);
    const claude = await buckets('ryot_inference_request_duration_seconds', { model: 'claude' });
    expect([claude.get(0.05), claude.get(0.1), claude.get(1), claude.get(2.5)]).toEqual([0, 1, 1, 2]);
    // TTFT: gpt4 2 × 40 ms, claude 120 ms, llama 30 ms.
    expect((await buckets('ryot_inference_ttft_seconds', { model: 'gpt4' })).get(0.05)).toBe(2);
    expect((await buckets('ryot_inference_ttft_seconds', { model: 'gpt4' })).get(0.025)).toBe(0);
    const claudeTtft = await buckets('ryot_inference_ttft_seconds', { model: 'claude' });
    expect([claudeTtft.get(0.1), claudeTtft.get(0.25)]).toEqual([0, 1]);
    const llamaTtft = await buckets('ryot_inference_ttft_seconds', { model: 'llama' });
    expect([llamaTtft.get(0.025), llamaTtft.get(0.05)]).toEqual([0, 1]);
    // ITL: claude 5 × 20 ms; llama 10, 20, 40 ms.
    const claudeItl = await buckets('ryot_inference_inter_token_latency_seconds', { model: 'claude' });
    expect([claudeItl.get(0.01), claudeItl.get(0.025), claudeItl.get(Infinity)]).toEqual([0, 5, 5]);
    const llamaItl = await buckets('ryot_inference_inter_token_latency_seconds', { model: 'llama' });
    expect([llamaItl.get(0.005), llamaItl.get(0.01), llamaItl.get(0.025), llamaItl.get(0.05)]).toEqual([0, 1, 2, 3]);
  });

  it('counts tokens, tokens per request and the per-model rates', async () => {
    for (const [model, tokens] of [['gpt4', 100], ['claude', 5], ['llama', 4]] as const) {
      expect(await value('ryot_tokens_generated_total', { model }), model).toBe(tokens);
      expect(await value('ryot_average_tokens_per_minute', { model }), model).toBe(tokens);
    }
    const gpt4 = await buckets('ryot_tokens_per_request', { model: 'gpt4' });
    expect([gpt4.get(25), gpt4.get(50)]).toEqual([0, 2]);
    expect((await buckets('ryot_tokens_per_request', { model: 'llama' })).get(5)).toBe(1);
    // gpt4's rate was set by hand; the others are their tokens over the last 10 complete seconds / 10.
    expect(await value('ryot_tokens_per_second', { model: 'gpt4' })).toBe(42.5);
    expect(await value('ryot_tokens_per_second', { model: 'claude' })).toBe(0.5);
    expect(await value('ryot_tokens_per_second', { model: 'llama' })).toBe(0.4);
    // No model ever seen without tokens reports a rate: no stray "unknown" series anywhere.
    expect(await prometheus.vector('{model="unknown", job="ryot"}')).toEqual([]);
  });

  it('reports model, cache, batch, GPU and queue figures', async () => {
    expect(await value('ryot_model_loading_duration_seconds', { model: 'gpt4' })).toBe(3.25);
    expect(await value('ryot_model_cache_hit_ratio', { model: 'gpt4' })).toBe(0.8);
    const batch = await buckets('ryot_batch_size', { model: 'llama' });
    expect([1, 2, 4, 8, 16, 32, 64, 128, Infinity].map((le) => batch.get(le))).toEqual([1, 2, 3, 3, 3, 3, 4, 5, 6]);
    expect(await value('ryot_batches_processed_total', { model: 'llama' })).toBe(6);
    expect(await value('ryot_gpu_memory_usage_bytes', { model: 'llama', gpu_id: '0' })).toBe(6e9);
    expect(await value('ryot_gpu_memory_usage_bytes', { model: 'llama', gpu_id: '1' })).toBe(2e9);
    expect(await value('ryot_gpu_memory_reserved_bytes', { model: 'llama', gpu_id: '1' })).toBe(8e9);
    expect(await value('ryot_gpu_utilization_percent', { model: 'llama', gpu_id: '0' })).toBe(75);
    expect(await value('ryot_memory_efficiency_ratio', { model: 'llama', gpu_id: '0' })).toBe(0.75);
    expect(await value('ryot_memory_efficiency_ratio', { model: 'llama', gpu_id: '1' })).toBe(0.25);
    expect(await value('ryot_inference_queue_size', { model: 'llama' })).toBe(7);
    const wait = await buckets('ryot_inference_queue_wait_seconds', { model: 'llama' });
    expect([0, 0.1, 0.5, 1, 5, 10, 30, 60].map((le) => wait.get(le))).toEqual([0, 0, 1, 1, 1, 1, 1, 2]);
  });

  it('answers MIGRATION.md\'s PromQL with the hand-computed values', async () => {
    const blocks = promqlBlocks(migration);
    expect(blocks.map((block) => block.query).sort()).toEqual(Object.keys(MIGRATION_QUERY_ANSWERS).sort());
    for (const { query } of blocks) {
      const answer = Object.fromEntries((await prometheus.vector(query)).map((s) => [s.metric['model'], Number(s.value[1])]));
      const expected = MIGRATION_QUERY_ANSWERS[query]!;
      expect(Object.keys(answer).sort(), query).toEqual(Object.keys(expected).sort());
      for (const [model, ratio] of Object.entries(expected)) expect(answer[model], `${query} ${model}`).toBeCloseTo(ratio, 12);
    }
  });

  it('adds exactly one error per tracked request that did not succeed; recordInferenceError adds to the errors only', async () => {
    // Tracked requests not in success: gpt4's OOM and claude's timeout (2). Errors: those 2 plus the 5
    // recordInferenceError calls made outside any request (7). The difference is those 5 calls.
    const [difference] = await prometheus.vector(
      'sum(ryot_inference_errors_total{job="ryot"}) - sum(ryot_inference_requests_total{job="ryot", status!="success"})',
    );
    expect(Number(difference?.value[1])).toBe(5);
  });

  it('has no _created series and no process_* or python_* collector series', async () => {
    const text = await (await fetch(`http://127.0.0.1:${telemetry.prometheus!.port}/metrics`)).text();
    const names = new Set(
      text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]),
    );
    expect(names.has('ryot_inference_requests_total')).toBe(true);
    expect(names.has('ryot_inference_request_duration_seconds_bucket')).toBe(true);
    const collectorOrCreated = [...names].filter((name) => name === undefined || /_created$|^process_|^python_/.test(name));
    expect(collectorOrCreated).toEqual([]);
    expect(await prometheus.vector('{job="ryot", __name__=~".+_created|process_.+|python_.+"}')).toEqual([]);
  });

  it('serves both info calls, the seed\'s literal modelInfo call without an added label, and no warning', async () => {
    const [system] = await series('ryot_system_info');
    expect(system?.metric).toMatchObject({ environment: 'test', version: '1.0.0' });
    const models = await series('ryot_model_info');
    expect(models).toHaveLength(1);
    const labels = Object.keys(models[0]!.metric).filter((key) => !SCRAPE_LABELS.has(key));
    expect(labels).toEqual(['models']);
    expect(models[0]!.metric['models']).toBe('gpt4, claude, llama');
    expect(diagnostics?.warnings).toEqual([]);
  });
});
