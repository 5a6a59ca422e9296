/**
 * The two paths of the per-request series (Ryot's aggregation through the MetricProducer, and the OTel
 * instruments) give the same data; the producer's temporality and start times are right; switching never counts
 * anything twice.
 */
import { diag, DiagLogLevel, type HrTime } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { createRyot, ryotViews, type RyotApi } from '../src/index.js';
import { declareAggregation } from '../src/instrumentation.js';
import { AGGREGATION_PATHS, createTestRyot, findMetric, histogram, TestReader, value, type TestRyot, captureDiagWarnings } from '../src/testing.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

/** Targets, prices and tenants for the workload, so goodput, cost and the tenant label are recorded too. */
const WORKLOAD_OPTIONS = {
  slo: { default: { ttftSeconds: 0.03, tpotSeconds: 0.05, e2eSeconds: 0.2 } },
  prices: { models: { llama: { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3 } } },
  tenants: { allow: ['acme'] },
} as const;

/**
 * A scripted workload touching every per-request series: two models, every outcome, prompt tokens, reported usage,
 * phases, finish reasons, goodput judged and missed, a bill, tenants admitted and not.
 */
async function workload(h: TestRyot): Promise<void> {
  const { api, clock } = h;
  for (const model of ['llama', 'mistral']) {
    const phased = api.startInference({ model, promptTokens: 900, tenant: 'acme' });
    phased.prefillStarted();
    clock.advance(20);
    phased.recordToken();
    clock.advance(10);
    phased.recordToken();
    phased.setCacheReadTokens(512);
    phased.setReasoningTokens(1);
    phased.setFinishReason('end_turn');
    phased.end();
    const reported = api.startInference({ model, tenant: 'globex' });
    reported.setEngineTimings({ prefillSeconds: 0.3, decodeSeconds: 4 });
    reported.setTokenCount(30);
    reported.setFinishReason('length');
    reported.end();
    const stream = api.trackTokenGeneration({ model, promptTokens: 11, tenant: 'acme' })(async function* () {
      for (const gap of [40, 3, 7, 30, 120]) {
        clock.advance(gap);
        yield 't';
      }
    });
    for await (const _ of stream()) void _;
    await api.trackInferenceRequest({ model, usage: () => ({ completionTokens: 42, promptTokens: 5 }) })(async () => clock.advance(250))();
    await expect(api.trackInferenceRequest({ model })(() => Promise.reject(new Error('CUDA out of memory')))()).rejects.toThrow();
    const ctx = api.startInference({ model });
    clock.advance(5);
    ctx.recordToken();
    ctx.end('cancelled');
    api.startInference({ model }).fail(Object.assign(new Error('slow'), { name: 'TimeoutError' }));
  }
  api.startInference({ model: 'llama' }); // still in flight
  // The engine's per-step records: queue waits (a ticket, one measured elsewhere, one the engine reported), batches,
  // cache lookups (one record with no hit still makes ryot_cache_hits_total 0), and a model that only looked up its
  // cache, which has no in-flight series.
  const ticket = api.enqueue('llama');
  clock.advance(12);
  ticket.dequeue();
  api.recordQueueWait({ model: 'mistral', seconds: 0.25 });
  const queued = api.startInference({ model: 'mistral' });
  queued.setEngineTimings({ queueSeconds: 2 });
  queued.end();
  for (const size of [1, 8, 8, 33]) api.recordBatch({ model: 'llama', size });
  api.recordCacheLookup({ model: 'llama', hits: 3, lookups: 4 });
  api.recordCacheLookup({ model: 'llama', hit: true });
  api.recordCacheLookup({ model: 'phi', hit: false });
}

/**
 * The exposition as a set of family blocks (HELP/UNIT/TYPE, then the samples). The one documented difference
 * between the paths is order: families the producer serves follow the SDK's, and within a family the producer
 * lists a model's series together (statuses and error types in vocabulary order) where the SDK lists them in the
 * order they were first recorded. So blocks are compared as sets, and samples sorted within them.
 */
function familyBlocks(text: string): string[] {
  return text
    .split(/\n(?=# HELP )/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const header = lines.filter((line) => line.startsWith('#'));
      const samples = lines.filter((line) => !line.startsWith('#')).sort();
      return [...header, ...samples].join('\n');
    })
    .sort();
}

describe('the two aggregation paths', () => {
  it('are what they say: the per-request series come from the producer, or from the SDK instruments', async () => {
    for (const aggregation of AGGREGATION_PATHS) {
      const api = createRyot({});
      const sdkOnly = new TestReader();
      const readers = aggregation === 'ryot' ? [sdkOnly, new TestReader({ metricProducers: [api.metricProducer()] })] : [sdkOnly];
      const provider = new MeterProvider({ readers, views: ryotViews() });
      api.configure({ meterProvider: provider });
      api.startInference({ model: 'm' }).end();
      const fromSdk = findMetric(await sdkOnly.metrics(), 'ryot_inference_requests') !== undefined;
      const fromProducer = aggregation === 'ryot' && findMetric(await readers[1]!.metrics(), 'ryot_inference_requests') !== undefined;
      expect({ aggregation, fromSdk, fromProducer }).toEqual({ aggregation, fromSdk: aggregation === 'instruments', fromProducer: aggregation === 'ryot' });
    }
  });

  it('say which one is active (diag.debug) when the recorder binds to a provider', async () => {
    const debug: string[] = [];
    const ignore = (): void => undefined;
    diag.setLogger(
      { error: ignore, warn: ignore, info: ignore, debug: (message: string) => void debug.push(message), verbose: ignore },
      { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true },
    );
    const said = (setup: (api: RyotApi, provider: MeterProvider) => void): string[] => {
      debug.length = 0;
      const api = createRyot({});
      const provider = new MeterProvider({ readers: [new TestReader()] });
      setup(api, provider);
      api.configure({ meterProvider: provider });
      api.startInference({ model: 'm' }).end();
      return [...new Set(debug.filter((message) => message.includes('per-request series')))];
    };
    expect(said((api) => void api.metricProducer())).toEqual([expect.stringContaining('aggregated by Ryot and exported through ryotMetricProducer()')]);
    expect(said(() => {})).toEqual([expect.stringContaining('through OTel instruments (no ryotMetricProducer() created)')]);
    expect(
      said((api, provider) => {
        api.metricProducer();
        declareAggregation(provider, false, api);
      }),
    ).toEqual([expect.stringContaining('through OTel instruments (this MeterProvider was declared without ryotMetricProducer())')]);
  });

  it('give the same Prometheus exposition, family for family, for the same workload', async () => {
    const texts: string[] = [];
    for (const aggregation of AGGREGATION_PATHS) {
      const h = createTestRyot({ aggregation, ...WORKLOAD_OPTIONS });
      await workload(h);
      texts.push(await h.prometheusText());
    }
    const [ryot, instruments] = texts.map(familyBlocks);
    expect(ryot).toEqual(instruments);
    // The workload reached every per-request family.
    for (const family of [
      'ryot_inference_requests_total',
      'ryot_inference_errors_total',
      'ryot_inference_requests_in_flight',
      'ryot_prompt_tokens_total',
      'ryot_request_tokens_per_second',
      'ryot_inference_finished_total',
      'ryot_inference_prefill_seconds',
      'ryot_inference_decode_seconds',
      'ryot_time_per_output_token_seconds',
      'ryot_prompt_tokens_per_request',
      'ryot_goodput_requests_total',
      'ryot_cost_usd_total',
      'ryot_inference_queue_wait_seconds',
      'ryot_batch_size',
      'ryot_batches_processed_total',
      'ryot_cache_lookups_total',
      'ryot_cache_hits_total',
    ]) {
      expect(texts[0]).toContain(`# TYPE ${family} `);
    }
    // Worked out from the workload: 5 lookups with 4 hits for llama; phi looked up once, missed, and served nothing.
    for (const sample of [
      'ryot_cache_lookups_total{model="llama"} 5',
      'ryot_cache_hits_total{model="llama"} 4',
      'ryot_cache_hits_total{model="phi"} 0',
      'ryot_batches_processed_total{model="llama"} 4',
      'ryot_inference_queue_wait_seconds_count{model="mistral"} 2',
    ]) {
      expect(texts[0]).toContain(sample);
    }
    expect(texts[0]).not.toContain('ryot_inference_requests_in_flight{model="phi"}');
    // Goodput met and missed, tenants admitted and not, every token type billed but cache_write.
    for (const sample of ['met="true"', 'met="false"', 'tenant="acme"', 'tenant="other"', 'token_type="cache_read"', 'token_type="reasoning"']) {
      expect(texts[0]).toContain(sample);
    }
  });

  it('give the same data points, min and max included', async () => {
    const collected: MetricData[][] = [];
    for (const aggregation of AGGREGATION_PATHS) {
      const h = createTestRyot({ aggregation, ...WORKLOAD_OPTIONS });
      await workload(h);
      collected.push(await h.metrics());
    }
    const [ryot, instruments] = collected;
    for (const name of [
      'ryot_inference_ttft_seconds',
      'ryot_inference_inter_token_latency_seconds',
      'ryot_inference_request_duration_seconds',
      'ryot_tokens_per_request',
      'ryot_inference_prefill_seconds',
      'ryot_inference_decode_seconds',
      'ryot_time_per_output_token_seconds',
      'ryot_prompt_tokens_per_request',
      'ryot_inference_queue_wait_seconds',
      'ryot_batch_size',
    ]) {
      for (const model of ['llama', 'mistral']) {
        if (name === 'ryot_batch_size' && model === 'mistral') continue;
        const a = histogram(ryot!, name, { model })!;
        const b = histogram(instruments!, name, { model })!;
        expect({ name, ...a }).toEqual({ name, ...b });
      }
    }
    expect(value(ryot!, 'ryot_inference_requests_in_flight', { model: 'llama' })).toBe(1);
  });
});

describe('the producer', () => {
  it('reports deltas since its previous collection to a delta reader, cumulative totals to a cumulative one', async () => {
    const api = createRyot({ slo: { default: { e2eSeconds: 10 } }, prices: { default: { inputPerMillion: 0, outputPerMillion: 1e6 } }, tenants: { allow: ['t'] } });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const deltaReader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000, metricProducers: [api.metricProducer({ temporality: 'delta' })] });
    const cumulative = new TestReader({ metricProducers: [api.metricProducer()] });
    const provider = new MeterProvider({ readers: [deltaReader, cumulative], views: ryotViews() });
    api.configure({ meterProvider: provider });
    const requests = (n: number, tokens: number) => {
      for (let i = 0; i < n; i++) {
        const ctx = api.startInference({ model: 'm' });
        for (let t = 0; t < tokens; t++) ctx.recordToken();
        ctx.end();
        // And one with a tenant: a million dollars per million output tokens, so a dollar a token.
        const tenanted = api.startInference({ model: 'm', tenant: 't' });
        tenanted.setTokenCount(tokens);
        tenanted.end();
      }
    };
    requests(3, 2);
    api.recordBatch({ model: 'm', size: 4 });
    api.recordCacheLookup({ model: 'm', hits: 2, lookups: 3 });
    await deltaReader.forceFlush();
    requests(2, 4);
    api.recordBatch({ model: 'm', size: 4 });
    api.recordBatch({ model: 'm', size: 2 });
    api.recordCacheLookup({ model: 'm', hits: 0, lookups: 5 });
    await deltaReader.forceFlush();
    const last = exporter.getMetrics().at(-1)!.scopeMetrics.flatMap((scope) => scope.metrics);
    expect(findMetric(last, 'ryot_inference_requests')?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(value(last, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(2);
    expect(value(last, 'ryot_tokens_generated', { model: 'm' })).toBe(8);
    expect(histogram(last, 'ryot_inference_inter_token_latency_seconds', { model: 'm' })?.count).toBe(2 * 3);
    // The engine counters too: 2 batches of 6 sequences, 5 lookups and no hit since the previous export.
    expect(value(last, 'ryot_batches_processed', { model: 'm' })).toBe(2);
    expect(histogram(last, 'ryot_batch_size', { model: 'm' })?.sum).toBe(6);
    expect(value(last, 'ryot_cache_lookups', { model: 'm' })).toBe(5);
    expect(value(last, 'ryot_cache_hits', { model: 'm' })).toBe(0);
    // The tenant's counters, goodput and cost are deltas too: 2 requests of 4 tokens at a dollar a token.
    expect(value(last, 'ryot_inference_requests', { model: 'm', status: 'success', tenant: 't' })).toBe(2);
    expect(value(last, 'ryot_goodput_requests', { model: 'm', slo: 'all', met: 'true', tenant: 't' })).toBe(2);
    expect(value(last, 'ryot_goodput_requests', { model: 'm', slo: 'all', met: 'true' })).toBe(2);
    expect(value(last, 'ryot_cost_usd', { model: 'm', token_type: 'output', tenant: 't' })).toBe(8);
    expect(findMetric(last, 'ryot_cost_usd')?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    // In flight is an up-down counter: cumulative in every temporality, as OTel's own preferences have it.
    expect(findMetric(last, 'ryot_inference_requests_in_flight')?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    // The cumulative reader still sees every request.
    const all = await cumulative.metrics();
    expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(5);
    expect(value(all, 'ryot_tokens_generated', { model: 'm' })).toBe(14);
    expect(value(all, 'ryot_cost_usd', { model: 'm', token_type: 'output', tenant: 't' })).toBe(14);
    expect(value(all, 'ryot_batches_processed', { model: 'm' })).toBe(3);
    expect(value(all, 'ryot_cache_hits', { model: 'm' })).toBe(2);
    await provider.shutdown();
  });

  it('start times: a delta point starts at the previous collection, a cumulative one where its series started (both paths)', async () => {
    const ms = ([seconds, nanos]: HrTime) => seconds * 1000 + nanos / 1e6;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    for (const aggregation of AGGREGATION_PATHS) {
      const api = createRyot({});
      const producers = (temporality: 'cumulative' | 'delta') => (aggregation === 'ryot' ? { metricProducers: [api.metricProducer({ temporality })] } : {});
      const delta = new TestReader({ temporality: 'delta', ...producers('delta') });
      const cumulative = new TestReader(producers('cumulative'));
      api.configure({ meterProvider: new MeterProvider({ readers: [delta, cumulative], views: ryotViews() }) });
      const collect = async () => {
        api.startInference({ model: 'm' }).end();
        await pause();
        const [d, c] = [await delta.metrics(), await cumulative.metrics()];
        const point = (all: MetricData[], name: string) => findMetric(all, name)!.dataPoints[0]!;
        return ['ryot_inference_requests', 'ryot_inference_request_duration_seconds'].map((name) => ({ name, delta: point(d, name), cumulative: point(c, name) }));
      };
      const first = await collect();
      await pause();
      const second = await collect();
      for (const [i, { name, delta: d1, cumulative: c1 }] of first.entries()) {
        const { delta: d2, cumulative: c2 } = second[i]!;
        const where = `${aggregation} ${name}`;
        expect(ms(d1.startTime), where).toBeLessThan(ms(d1.endTime));
        expect(d2.startTime, where).toEqual(d1.endTime);
        expect(ms(d2.endTime), where).toBeGreaterThan(ms(d2.startTime));
        expect(c2.startTime, where).toEqual(c1.startTime);
        expect(ms(c2.endTime), where).toBeGreaterThan(ms(c1.endTime));
      }
    }
  });

  it('keeps the series start time across a new reader: cumulative points start when the series did', async () => {
    const api = createRyot({});
    const producer = api.metricProducer();
    const first = new TestReader({ metricProducers: [producer] });
    const providerA = new MeterProvider({ readers: [first] });
    api.configure({ meterProvider: providerA });
    api.startInference({ model: 'm' }).end();
    const before = findMetric(await first.metrics(), 'ryot_inference_requests')!.dataPoints[0]!;
    await providerA.shutdown();
    const second = new TestReader({ metricProducers: [producer] });
    api.configure({ meterProvider: new MeterProvider({ readers: [second] }) });
    api.startInference({ model: 'm' }).end();
    const after = findMetric(await second.metrics(), 'ryot_inference_requests')!.dataPoints[0]!;
    expect(after.startTime).toEqual(before.startTime);
    expect(after.value).toBe(2);
    const startMs = before.startTime[0] * 1000 + before.startTime[1] / 1e6;
    expect(startMs).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - startMs).toBeLessThan(60_000);
  });

  it('created after requests went through the instruments: nothing counted twice, and said once', async () => {
    const api: RyotApi = createRyot({});
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader], views: ryotViews() });
    api.configure({ meterProvider: provider });
    api.startInference({ model: 'm' }).end();
    // A producer now, wired to a second reader of the same provider: the series stay on the instruments.
    const late = new TestReader({ metricProducers: [api.metricProducer()] });
    void late;
    api.startInference({ model: 'm' }).end();
    const all = await reader.metrics();
    expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(2);
    expect(all.filter((metric) => metric.descriptor.name === 'ryot_inference_requests')).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('created after requests were recorded'))).toHaveLength(1);
  });
});

describe('readers of one provider, with and without the producer', () => {
  const PRODUCER_MISSING = 'a reader collects without it';

  /** A provider with one reader carrying the producer and one built without it (the user forgot it on one). */
  function twoReaders() {
    const api = createRyot({});
    const withProducer = new TestReader({ metricProducers: [api.metricProducer()] });
    const without = new TestReader();
    const provider = new MeterProvider({ readers: [withProducer, without], views: ryotViews() });
    api.configure({ meterProvider: provider });
    api.startInference({ model: 'm' }).end();
    return { withProducer, without };
  }

  it('the reader without it lacks the per-request series, and its user is told to add the producer to every reader', async () => {
    for (const order of ['with first', 'without first'] as const) {
      warnings.length = 0;
      const { withProducer, without } = twoReaders();
      const [first, second] = order === 'with first' ? [withProducer, without] : [without, withProducer];
      for (let cycle = 0; cycle < 3; cycle++) {
        const collected = new Map([[first, await first.metrics()], [second, await second.metrics()]]);
        expect(value(collected.get(withProducer)!, 'ryot_inference_requests', { model: 'm', status: 'success' }), order).toBe(1);
        // Nothing falls back to the instruments for the other reader: that would count the request twice on this one.
        expect(findMetric(collected.get(without)!, 'ryot_inference_requests'), order).toBeUndefined();
      }
      const told = warnings.filter((w) => w.includes(PRODUCER_MISSING));
      expect(told, order).toHaveLength(1);
      expect(told[0]).toContain('metricProducers');
      expect(told[0]).toContain('every reader');
    }
  });

  it('is silent when every reader carries a producer (a cumulative and a delta one), and when no producer exists', async () => {
    const api = createRyot({});
    const cumulative = new TestReader({ metricProducers: [api.metricProducer()] });
    const delta = new TestReader({ metricProducers: [api.metricProducer({ temporality: 'delta' })] });
    api.configure({ meterProvider: new MeterProvider({ readers: [cumulative, delta], views: ryotViews() }) });
    const plain = createRyot({});
    const alone = new TestReader();
    plain.configure({ meterProvider: new MeterProvider({ readers: [alone], views: ryotViews() }) });
    for (let cycle = 1; cycle <= 3; cycle++) {
      api.startInference({ model: 'm' }).end();
      plain.startInference({ model: 'm' }).end();
      expect(value(await cumulative.metrics(), 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(cycle);
      expect(value(await delta.metrics(), 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(1);
      expect(value(await alone.metrics(), 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(cycle);
    }
    expect(warnings).toEqual([]);
  });
});

describe.each(AGGREGATION_PATHS)('recordError beside failed requests (%s path)', (aggregation) => {
  it('adds to the one ryot_inference_errors family the requests count into, never a second one', async () => {
    const h = createTestRyot({ aggregation });
    h.api.startInference({ model: 'm' }).fail(new Error('CUDA error: an illegal memory access'));
    h.api.recordError({ model: 'm', errorType: 'cuda' });
    h.api.recordError({ model: 'm', errorType: 'oom' });
    const errorFamilies = (await h.metrics()).filter((metric) => metric.descriptor.name === 'ryot_inference_errors');
    expect(errorFamilies).toHaveLength(1);
    // One failed request classified cuda, one recordError of each type: cuda 2, oom 1.
    const all = await h.metrics();
    expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'cuda' })).toBe(2);
    expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'oom' })).toBe(1);
    // The Prometheus text has one HELP line for the family (two would fail the whole scrape).
    expect((await h.prometheusText()).match(/^# HELP ryot_inference_errors_total /gm)).toHaveLength(1);
  });
});
