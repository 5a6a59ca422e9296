/**
 * Nothing a caller passes makes a record throw, fail the caller's own call, or grow Ryot without bound; the value
 * the caller threw is always the one that comes back. Each case here broke before it was fixed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createTestRyot, findMetric, TestReader, value, type TestRyot, AGGREGATION_PATHS, type TestRyotOptions, captureDiagWarnings } from '../src/testing.js';
import { createRyot, ryotViews } from '../src/index.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

/** Thrown values whose properties cannot be read: a throwing getter, a throwing proxy trap, a revoked proxy. */
function hostileValues(): [string, unknown][] {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    ['a name getter that throws', Object.defineProperty(new Error('x'), 'name', { get: () => { throw new Error('name getter'); } })],
    ['a message getter that throws', Object.defineProperty({}, 'message', { get: () => { throw new Error('message getter'); } })],
    ['a proxy whose get trap throws', new Proxy({}, { get: () => { throw new Error('trap'); } })],
    ['a revoked proxy', revocable.proxy],
    ['a symbol', Symbol('thrown')],
    ['an object whose toString throws', { toString: () => { throw new Error('toString'); } }],
  ];
}

describe.each(AGGREGATION_PATHS)('per-request series through %s', (aggregation) => {
  const testRyot = (options: TestRyotOptions = {}, withViews?: boolean) => createTestRyot({ ...options, aggregation }, withViews);

  describe('hostile thrown values come back untouched and are recorded once', () => {
    for (const [what, thrown] of hostileValues()) {
      it(`${what}: request and stream paths`, async () => {
        const harness = testRyot();
        const request = harness.api.trackInferenceRequest({ model: 'm' })(async () => {
          throw thrown;
        });
        await expect(request()).rejects.toBe(thrown);
        const syncRequest = harness.api.trackInferenceRequest({ model: 'm' })(() => {
          throw thrown;
        });
        // (Checked by identity: the test runner's own toThrow() would read the hostile value's properties.)
        let syncCaught: unknown = 'nothing thrown';
        try {
          syncRequest();
        } catch (error) {
          syncCaught = error;
        }
        expect(syncCaught).toBe(thrown);
        const stream = harness.api.trackTokenGeneration({ model: 'm' })(async function* () {
          yield 'a';
          throw thrown;
        });
        let caught: unknown;
        try {
          for await (const _ of stream()) void _;
        } catch (error) {
          caught = error;
        }
        expect(caught).toBe(thrown);
        const ctx = harness.api.startInference({ model: 'm' });
        ctx.fail(thrown);
        const all = await harness.metrics();
        expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'error' })).toBe(4);
        expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'unknown' })).toBe(4);
      });
    }

    it('a user classifier that throws a hostile value falls back to the built-in one with one diagnostic', async () => {
      const hostile = { toString: () => { throw new Error('toString'); } };
      const harness = testRyot({ classifyError: () => { throw hostile; } });
      const error = new Error('CUDA out of memory');
      await expect(harness.api.trackInferenceRequest({ model: 'm' })(() => Promise.reject(error))()).rejects.toBe(error);
      expect(value(await harness.metrics(), 'ryot_inference_errors', { model: 'm', error_type: 'oom' })).toBe(1);
      expect(warnings.filter((w) => w.includes('classifyError threw'))).toHaveLength(1);
    });
  });

  describe('symbols, nulls and other wrong types never throw out of a record', () => {
    it('context methods drop them with one diagnostic per kind', async () => {
      const harness = testRyot();
      const sym = Symbol('n') as unknown as number;
      const ctx = harness.api.startInference({ model: 'm' });
      expect(() => {
        ctx.recordToken(sym);
        ctx.recordItl(sym);
        ctx.recordInterTokenLatency(10n as unknown as number);
        ctx.setPromptTokens(sym);
        ctx.setCompletionTokens(sym);
        ctx.setTokenCount(sym);
        ctx.setTtft(sym);
        ctx.end();
      }).not.toThrow();
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(1);
      expect(value(all, 'ryot_tokens_generated', { model: 'm' })).toBeUndefined();
      // One per (metric, problem): token count, ITL (recordItl and recordInterTokenLatency), prompt tokens, generated
      // tokens (setCompletionTokens and setTokenCount), TTFT.
      expect(warnings).toHaveLength(5);
    });

    it('record calls with symbols, null options or a throwing proxy are dropped, never thrown', async () => {
      const harness = testRyot();
      const api = harness.api as unknown as Record<string, (...args: unknown[]) => unknown>;
      const trap = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('ownKeys'); } });
      const calls: [string, unknown[]][] = [
        ['recordCacheLookup', [{ model: 'm', hits: Symbol('h'), lookups: 2 }]],
        ['recordCacheLookup', [null]],
        ['recordCacheLookup', [trap]],
        ['recordBatch', [{ model: 'm', size: Symbol('s') }]],
        ['recordBatch', [undefined]],
        ['recordRetry', [{ model: 'm', count: Symbol('c') }]],
        ['recordModelLoad', ['m', Symbol('t')]],
        ['updateGpuMetrics', [{ model: 'm', gpuId: 0, usedBytes: Symbol('u'), utilization: Symbol('p') }]],
        ['setQueueSize', [null]],
        ['recordQueueWait', [{ model: 'm', seconds: Symbol('w') }]],
        ['setTokenThroughput', [{ model: 'm', tokensPerSecond: Symbol('t') }]],
        ['setCacheHitRatio', [{ model: 'm', ratio: Symbol('r') }]],
        ['recordError', [{ model: 'm', errorType: Symbol('e') }]],
      ];
      for (const [name, args] of calls) expect(() => api[name]!(...args), name).not.toThrow();
      expect(() => harness.api.systemInfo.info(null as never)).not.toThrow();
      expect(() => harness.api.systemInfo.info(trap as never)).not.toThrow();
      expect(() => harness.api.modelInfo.info(undefined as never)).not.toThrow();
      expect(() => harness.api.startInference(null as never).end()).not.toThrow();
      const all = await harness.metrics();
      expect(findMetric(all, 'ryot_cache_lookups')).toBeUndefined();
      expect(findMetric(all, 'ryot_batch_size')).toBeUndefined();
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'unknown' })).toBe(1);
    });

    it('a usage option returning a symbol, or symbol counts, never fails the successful call', async () => {
      const harness = testRyot();
      const results: unknown[] = [];
      for (const usage of [() => Symbol('u'), () => ({ completionTokens: Symbol('c') }), () => ({ promptTokens: Symbol('p'), ttftSeconds: Symbol('t') }), () => 42]) {
        const call = harness.api.trackInferenceRequest({ model: 'm', usage: usage as never })(async () => 'answer');
        results.push(await call());
      }
      expect(results).toEqual(['answer', 'answer', 'answer', 'answer']);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(4);
    });

    it('countTokens returning a symbol does not break the stream', async () => {
      const harness = testRyot();
      const stream = harness.api.trackTokenGeneration({ model: 'm', countTokens: () => Symbol('n') as unknown as number })(async function* () {
        yield 'a';
        yield 'b';
      });
      const seen: string[] = [];
      for await (const chunk of stream()) seen.push(chunk);
      expect(seen).toEqual(['a', 'b']);
      expect(value(await harness.metrics(), 'ryot_inference_requests', { model: 'm', status: 'success' })).toBe(1);
    });
  });

  describe('closed vocabularies are checked at run time, diagnostics stay bounded', () => {
    it('end(status) with outside values records status="error", one diagnostic, bounded series across cycles', async () => {
      const harness = testRyot();
      for (let cycle = 0; cycle < 5; cycle++) {
        for (let i = 0; i < 1500; i++) harness.api.startInference({ model: 'm' }).end(`status-${cycle}-${i}` as never);
        const requests = findMetric(await harness.metrics(), 'ryot_inference_requests')!;
        expect(requests.dataPoints.map((p) => p.attributes['status'])).toEqual(['error']);
      }
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'error' })).toBe(7500);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'unknown' })).toBe(7500);
      expect(warnings).toHaveLength(1);
    });

    it('300k distinct bad info keys give one warning, not one each', () => {
      const harness = testRyot();
      for (let i = 0; i < 300; i++) {
        const labels: Record<string, string> = {};
        for (let j = 0; j < 1000; j++) labels[`bad-key-${i}-${j}`] = 'v';
        harness.api.modelInfo.info({ model: 'm', ...labels });
      }
      expect(warnings.filter((w) => w.includes('not a valid Prometheus label name'))).toHaveLength(1);
      expect(warnings).toHaveLength(1);
    });

    it('info labels are bounded in number and length', async () => {
      const harness = testRyot();
      const labels: Record<string, string> = { long: 'x'.repeat(5000) };
      for (let j = 0; j < 100; j++) labels[`k${j}`] = 'v';
      harness.api.modelInfo.info({ model: 'm', ...labels });
      const info = findMetric(await harness.metrics(), 'ryot_model_info')!;
      const attributes = info.dataPoints[0]!.attributes;
      expect(Object.keys(attributes)).toHaveLength(64 + 1); // 64 labels, then `model`
      expect(String(attributes['long'])).toHaveLength(1024);
    });
  });

  describe('AbortSignal: a deadline is a timeout, an abort is a cancellation', () => {
    async function streamWith(harness: TestRyot, signal: AbortSignal): Promise<void> {
      const stream = harness.api.trackTokenGeneration({ model: 'm', signal })(async function* () {
        yield 'a';
        await new Promise((resolve) => setTimeout(resolve, 50));
        yield 'b';
      });
      for await (const _ of stream()) void _;
    }

    it('AbortSignal.timeout() ends the stream as timeout, abort() and abort(reason) as cancelled', async () => {
      const harness = testRyot();
      await streamWith(harness, AbortSignal.timeout(10));
      const plain = new AbortController();
      setTimeout(() => plain.abort(), 10);
      await streamWith(harness, plain.signal);
      const withReason = new AbortController();
      setTimeout(() => withReason.abort(new Error('user left')), 10);
      await streamWith(harness, withReason.signal);
      const all = await harness.metrics();
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'timeout' })).toBe(1);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'timeout' })).toBe(1);
      expect(value(all, 'ryot_inference_requests', { model: 'm', status: 'cancelled' })).toBe(2);
      expect(value(all, 'ryot_inference_errors', { model: 'm', error_type: 'cancelled' })).toBe(2);
    });
  });
});

describe('configure() replaces the batch observable callback instead of adding one', () => {
  it('the callback runs once per collection after three configure() calls', async () => {
    let clockReads = 0;
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader], views: ryotViews() });
    const api = createRyot({ meterProvider: provider, clock: () => (clockReads++, 1_000_000) });
    api.startInference({ model: 'm' }).end();
    for (const maxModels of [10, 20, 30]) api.configure({ maxModels });
    api.startInference({ model: 'm' }).end();
    clockReads = 0;
    await reader.collect();
    expect(clockReads).toBe(1);
  });
});

describe('info metrics: replaced label sets leave the exposition', () => {
  function infoPoints(all: Awaited<ReturnType<TestRyot['metrics']>>, name: string) {
    return (findMetric(all, name)?.dataPoints ?? []).map((p) => p.attributes);
  }

  it('through the producer: 300 replacements with a collection between each leave one series', async () => {
    const api = createRyot({});
    const reader = new TestReader({ metricProducers: [api.metricProducer()] });
    api.configure({ meterProvider: new MeterProvider({ readers: [reader], views: ryotViews() }) });
    const collect = async () => (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    for (let i = 0; i < 300; i++) {
      api.systemInfo.info({ build: `b${i}` });
      api.modelInfo.info({ model: 'm', revision: `r${i}` });
      await collect();
    }
    const all = await collect();
    expect(infoPoints(all, 'ryot_system_info')).toHaveLength(1);
    expect(infoPoints(all, 'ryot_system_info')[0]).toMatchObject({ build: 'b299' });
    expect(infoPoints(all, 'ryot_model_info')).toEqual([{ model: 'm', revision: 'r299' }]);
    // Served once: the SDK's own instruments observe nothing while the producer exists.
    const served = all.filter((metric) => metric.descriptor.name === 'ryot_model_info');
    expect(served).toHaveLength(1);
    // The producer's enum literals are the SDK's.
    expect(served[0]!.dataPointType).toBe(DataPointType.GAUGE);
    expect(served[0]!.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(warnings).toEqual([]);
  });

  it('pushed as OTLP-style data (periodic reader, cumulative and delta): only the current sets', async () => {
    for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
      const api = createRyot({});
      const exporter = new InMemoryMetricExporter(temporality);
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000, metricProducers: [api.metricProducer()] });
      const provider = new MeterProvider({ readers: [reader], views: ryotViews() });
      api.configure({ meterProvider: provider });
      api.modelInfo.info({ model: 'm', revision: 'old' });
      await reader.forceFlush();
      api.modelInfo.info({ model: 'm', revision: 'new' });
      await reader.forceFlush();
      const exports = exporter.getMetrics();
      const last = exports[exports.length - 1]!.scopeMetrics.flatMap((scope) => scope.metrics);
      expect(infoPoints(last, 'ryot_model_info'), String(temporality)).toEqual([{ model: 'm', revision: 'new' }]);
      await provider.shutdown();
    }
  });

  /** An instance whose reader is not given the producer (a user's own provider, wired without it). */
  function withoutProducer() {
    const reader = new TestReader();
    const api = createRyot({ meterProvider: new MeterProvider({ readers: [reader], views: ryotViews() }) });
    return { api, metrics: () => reader.metrics() };
  }

  it('without the producer the SDK keeps the old set, and says so once', async () => {
    const harness = withoutProducer();
    harness.api.systemInfo.info({ build: 'a' });
    await harness.metrics();
    harness.api.systemInfo.info({ build: 'b' });
    harness.api.systemInfo.info({ build: 'c' });
    // 'a' was observed before it was replaced, so the SDK keeps it beside 'c' ('b' was never collected).
    expect(infoPoints(await harness.metrics(), 'ryot_system_info').map((a) => a['build'])).toEqual(['a', 'c']);
    expect(warnings.filter((w) => w.includes('ryotMetricProducer()'))).toHaveLength(1);
  });

  it('a producer no reader collects is reported', async () => {
    const harness = withoutProducer();
    harness.api.metricProducer();
    harness.api.systemInfo.info({ build: 'a' });
    await harness.metrics();
    await harness.metrics();
    expect(warnings.filter((w) => w.includes('a reader collects without it'))).toHaveLength(1);
  });
});
