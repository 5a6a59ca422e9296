import { describe, expect, it } from 'vitest';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { ryotViews } from '../src/index.js';
import { ALL_METRICS, METRICS, clusterMergeOf, prometheusName } from '../src/instrumentation.js';
import { AGGREGATION_PATHS, createTestRyot, parseExposition, type AggregationPath } from '../src/testing.js';

/**
 * Ryot's exposition contract, typed in from the issue texts (not derived from the catalog): the seed text's names,
 * renamed where the reference Python library named them otherwise (ryot_gpu_memory_usage_bytes,
 * ryot_model_cache_hit_ratio, ryot_inference_queue_size, ryot_inference_queue_wait_seconds, the gauges
 * ryot_tokens_per_second and ryot_model_loading_duration_seconds), plus Ryot's own additions, and the names of
 * issue 16 (phases, finish reasons, engine events, goodput, cost) with the buckets its documentation gives.
 */
const EXPECTED: Record<string, { type: string; unit: string; labels: string[]; buckets?: number[] }> = {
  ryot_inference_requests_total: { type: 'counter', unit: '{request}', labels: ['model', 'status'] },
  ryot_inference_request_duration_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  ryot_inference_ttft_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  ryot_inference_inter_token_latency_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
  },
  ryot_tokens_generated_total: { type: 'counter', unit: '{token}', labels: ['model'] },
  ryot_prompt_tokens_total: { type: 'counter', unit: '{token}', labels: ['model'] },
  ryot_tokens_per_request: {
    type: 'histogram',
    unit: '{token}',
    labels: ['model'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
  },
  ryot_tokens_per_second: { type: 'gauge', unit: '{token}/s', labels: ['model'] },
  ryot_request_tokens_per_second: {
    type: 'histogram',
    unit: '{token}/s',
    labels: ['model'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
  },
  ryot_average_tokens_per_minute: { type: 'gauge', unit: '{token}/min', labels: ['model'] },
  ryot_model_loading_duration_seconds: { type: 'gauge', unit: 's', labels: ['model'] },
  ryot_model_cache_hit_ratio: { type: 'gauge', unit: '1', labels: ['model'] },
  ryot_cache_hits_total: { type: 'counter', unit: '{lookup}', labels: ['model'] },
  ryot_cache_lookups_total: { type: 'counter', unit: '{lookup}', labels: ['model'] },
  ryot_batch_size: { type: 'histogram', unit: '{request}', labels: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] },
  ryot_batches_processed_total: { type: 'counter', unit: '{batch}', labels: ['model'] },
  ryot_gpu_memory_usage_bytes: { type: 'gauge', unit: 'By', labels: ['model', 'gpu_id'] },
  ryot_gpu_memory_reserved_bytes: { type: 'gauge', unit: 'By', labels: ['model', 'gpu_id'] },
  ryot_gpu_utilization_percent: { type: 'gauge', unit: '%', labels: ['model', 'gpu_id'] },
  ryot_memory_efficiency_ratio: { type: 'gauge', unit: '1', labels: ['model', 'gpu_id'] },
  ryot_inference_errors_total: { type: 'counter', unit: '{error}', labels: ['model', 'error_type'] },
  ryot_inference_retries_total: { type: 'counter', unit: '{retry}', labels: ['model'] },
  ryot_inference_queue_size: { type: 'gauge', unit: '{request}', labels: ['model'] },
  ryot_inference_queue_wait_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  ryot_inference_requests_in_flight: { type: 'gauge', unit: '{request}', labels: ['model'] },
  ryot_inference_finished_total: { type: 'counter', unit: '{request}', labels: ['model', 'finish_reason'] },
  ryot_inference_prefill_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  ryot_inference_decode_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  },
  ryot_time_per_output_token_seconds: {
    type: 'histogram',
    unit: 's',
    labels: ['model'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
  },
  ryot_prompt_tokens_per_request: {
    type: 'histogram',
    unit: '{token}',
    labels: ['model'],
    buckets: [1, 4, 16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 1048576],
  },
  ryot_preemptions_total: { type: 'counter', unit: '{preemption}', labels: ['model'] },
  ryot_kv_cache_usage_ratio: { type: 'gauge', unit: '1', labels: ['model'] },
  ryot_goodput_requests_total: { type: 'counter', unit: '{request}', labels: ['model', 'slo', 'met'] },
  ryot_cost_usd_total: { type: 'counter', unit: 'USD', labels: ['model', 'token_type'] },
  ryot_system_info: { type: 'gauge', unit: '', labels: ['ryot_version', 'runtime', 'runtime_version', 'platform', 'arch', 'cluster'] },
  ryot_model_info: { type: 'gauge', unit: '', labels: ['model', 'family', 'quantization'] },
};

async function exerciseEverySeedMetric(aggregation: AggregationPath) {
  const harness = createTestRyot({
    aggregation,
    slo: { default: { ttftSeconds: 0.5 } },
    prices: { models: { m: { inputPerMillion: 3, outputPerMillion: 15 } } },
  });
  const { api, clock } = harness;
  const ctx = api.startInference({ model: 'm', promptTokens: 12 });
  ctx.prefillStarted();
  clock.advance(40);
  ctx.recordToken();
  clock.advance(5);
  ctx.recordToken();
  ctx.setFinishReason('stop');
  ctx.recordPreemption();
  ctx.end();
  api.setKvCacheUsage({ model: 'm', ratio: 0.5 });
  api.startInference({ model: 'm' }).fail(new Error('CUDA out of memory'));
  api.recordModelLoad('m', 3);
  api.recordCacheLookup({ model: 'm', hit: true });
  api.recordBatch({ model: 'm', size: 8 });
  api.recordRetry({ model: 'm' });
  api.updateGpuMetrics({ model: 'm', gpuId: 0, usedBytes: 10, reservedBytes: 20, utilization: 50 });
  const ticket = api.enqueue('m');
  clock.advance(2);
  ticket.dequeue();
  api.systemInfo.info({ cluster: 'test' });
  api.modelInfo.info({ model: 'm', family: 'llama', quantization: 'fp16' });
  return harness;
}

describe.each(AGGREGATION_PATHS)('Prometheus exposition through the real OTel serializer, per-request series through %s', (aggregation) => {
  it('has exactly the seed names, types, units, labels and bucket boundaries', async () => {
    const text = await (await exerciseEverySeedMetric(aggregation)).prometheusText();
    const exposition = parseExposition(text);
    expect(exposition.errors).toEqual([]);
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const family = exposition.families.get(name);
      expect(family, `${name} missing from:\n${text}`).toBeDefined();
      expect(family!.type, name).toBe(expected.type);
      if (expected.unit) expect(family!.unit, name).toBe(expected.unit);
      const sample = exposition.get(expected.type === 'histogram' ? `${name}_count` : name)[0]!;
      expect(Object.keys(sample.labels).sort(), name).toEqual([...expected.labels].sort());
      if (expected.buckets) {
        const les = exposition.get(`${name}_bucket`).map((bucket) => bucket.labels['le']);
        expect(les, name).toEqual([...expected.buckets.map(String), '+Inf']);
      }
    }
  });

  it('emits no ryot metric the seed contract does not list', async () => {
    const text = await (await exerciseEverySeedMetric(aggregation)).prometheusText();
    const ryotFamilies = [...parseExposition(text).families.keys()].filter((name) => name.startsWith('ryot_'));
    expect(ryotFamilies.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('keeps the right buckets without ryotViews(), through histogram advice', async () => {
    const harness = createTestRyot({ aggregation }, false);
    harness.api.startInference({ model: 'm' }).end();
    const text = await harness.prometheusText();
    const les = text
      .split('\n')
      .filter((line) => line.startsWith('ryot_inference_request_duration_seconds_bucket'))
      .map((line) => /le="([^"]+)"/.exec(line)![1]);
    expect(les).toEqual(['0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '+Inf']);
  });
});

describe('catalog', () => {
  it('has unique instrument and Prometheus names', () => {
    const names = ALL_METRICS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    const promNames = ALL_METRICS.map(prometheusName);
    expect(new Set(promNames).size).toBe(promNames.length);
  });

  it('has strictly increasing, finite buckets (positive, but for a leading 0) and a unit on every non-info metric', () => {
    for (const definition of ALL_METRICS) {
      if (definition.group !== 'info') expect(definition.unit, definition.name).not.toBe('');
      if (!definition.buckets) {
        expect(definition.kind, definition.name).not.toBe('histogram');
        continue;
      }
      expect(definition.kind).toBe('histogram');
      definition.buckets.forEach((bound, i) => {
        expect(Number.isFinite(bound) && (bound > 0 || (bound === 0 && i === 0)), `${definition.name}[${i}]`).toBe(true);
        if (i > 0) expect(bound, definition.name).toBeGreaterThan(definition.buckets![i - 1]!);
      });
    }
  });

  it('gives every metric a cluster merge rule that arithmetic supports', () => {
    for (const definition of ALL_METRICS) {
      const rule = clusterMergeOf(definition);
      // Bucket counts add; a largest histogram means nothing. A monotonic counter summed across workers stays one.
      if (definition.kind === 'histogram') expect(rule, definition.name).toBe('sum');
      if (definition.kind === 'counter') expect(rule, definition.name).toBe('sum');
    }
    // Counts and rates of one process tree add up; a ratio does not; what every worker reads off one device is one reading.
    expect(clusterMergeOf(METRICS.requestsInFlight)).toBe('sum');
    expect(clusterMergeOf(METRICS.queueSize)).toBe('sum');
    expect(clusterMergeOf(METRICS.tokensPerSecond)).toBe('sum');
    expect(clusterMergeOf(METRICS.cacheHitRatio)).toBe('per_worker');
    expect(clusterMergeOf(METRICS.gpuMemoryUsage)).toBe('per_worker');
    expect(clusterMergeOf(METRICS.systemInfo)).toBe('max');
    // hw.energy is a device counter since driver load: every worker reads the same total, so summing would multiply it.
    expect(clusterMergeOf(METRICS.hwEnergy)).toBe('max');
    expect(clusterMergeOf(METRICS.gpuProcessMemoryUsage)).toBe('sum');
  });

  it('ryotViews() gives one view per instrument with the SDK enum values and explicit boundaries', () => {
    const views = ryotViews({ cardinalityLimit: 500 });
    expect(views).toHaveLength(ALL_METRICS.length);
    for (const [i, view] of views.entries()) {
      const definition = ALL_METRICS[i]!;
      expect(view.instrumentName).toBe(definition.name);
      // Each view selects the meter that records its metric: nvml's own for hardware, any meter for the client metrics.
      const expectedMeter =
        definition.group === 'hardware'
          ? '@ryot/nvml'
          : definition.group === 'cluster'
            ? '@ryot/exporters'
            : definition.group === 'genai_client' || definition.group === 'genai_client_usage'
              ? undefined
              : '@ryot/metrics';
      expect(view.meterName, definition.name).toBe(expectedMeter);
      expect(view.aggregationCardinalityLimit).toBe(500);
      if (definition.buckets) {
        expect(view.aggregation).toEqual({
          type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
          options: { boundaries: [...definition.buckets], recordMinMax: true },
        });
      } else {
        expect(view.aggregation).toEqual({ type: AggregationType.DEFAULT });
      }
    }
  });
});
