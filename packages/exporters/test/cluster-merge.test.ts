/**
 * The cluster-mode codec and merge, through the real SDK: what two workers collect, sent through JSON as the cluster
 * IPC channel sends it, decoded and merged, against one process that recorded the same work.
 */
import { ValueType } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, MeterProvider, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, clusterMergeOf, prometheusName, type RyotApi } from '@ryot/metrics/instrumentation';
import { TestReader, createTestRyot, parseExposition, type ManualClock, type TestRyot } from '@ryot/metrics/testing';
import { SnapshotDecoder, SnapshotEncoder, SnapshotTableError, decodeSnapshot, encodeSnapshot, type WireSnapshot } from '../src/cluster/codec.js';
import { AttributeInterner, INSTANCE_ATTRIBUTE, mergeSources } from '../src/cluster/merge.js';
import { createPrometheusEndpoint } from '../src/index.js';
import { listen } from './helpers.js';

/** What the cluster IPC channel does to a message with Node's default `json` serialization. */
function throughIpc(scopeMetrics: ScopeMetrics[]): ScopeMetrics[] {
  return decodeSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(scopeMetrics))) as WireSnapshot);
}

async function collected(ryot: TestRyot): Promise<ScopeMetrics[]> {
  const { resourceMetrics, errors } = await ryot.reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics.scopeMetrics;
}

function serialize(scopeMetrics: ScopeMetrics[]): string {
  return new PrometheusSerializer('', false, undefined, true, true).serialize({ resource: resourceFromAttributes({}), scopeMetrics });
}

/** The exposition lines of the families whose cluster rule is `rule`, sorted (merge order is not series order). */
function familiesWithRule(text: string, rule: string): string[] {
  const names = ALL_METRICS.filter((d) => clusterMergeOf(d) === rule).map(prometheusName);
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#') && names.some((name) => new RegExp(`^${name}(_bucket|_count|_sum)?[{ ]`).test(line)))
    .sort();
}

/**
 * A scripted share of a server's work, with durations in multiples of 1/8 s so sums are exact in binary whatever
 * order they are added in.
 */
async function work(api: RyotApi, clock: ManualClock, share: 'first' | 'second'): Promise<void> {
  const models = share === 'first' ? ['llama', 'mistral'] : ['llama', 'qwen'];
  for (const [i, model] of models.entries()) {
    for (let r = 0; r < (share === 'first' ? 3 : 2) + i; r++) {
      const context = api.startInference({ model });
      clock.nowMs += 125 * (r + 1);
      context.recordToken();
      clock.nowMs += 250;
      context.recordToken();
      context.setPromptTokens(8 * (r + 1));
      context.end();
    }
    const failing = api.startInference({ model });
    clock.nowMs += 500;
    failing.fail(Object.assign(new Error('CUDA out of memory'), { name: 'OutOfMemoryError' }));
    const ticket = api.enqueue(model);
    clock.nowMs += 125;
    ticket.dequeue();
    api.recordCacheLookup({ model, hits: 3, lookups: share === 'first' ? 4 : 8 });
    api.recordBatch({ model, size: share === 'first' ? 4 : 16 });
    api.recordRetry({ model });
  }
  // Started here and still running at collection: in flight.
  api.startInference({ model: 'llama' });
}

describe('merging workers’ collections', () => {
  it('gives, for every summed metric, exactly what one process doing all the work exports', async () => {
    const workerA = createTestRyot();
    const workerB = createTestRyot();
    const single = createTestRyot();
    await work(workerA.api, workerA.clock, 'first');
    await work(workerB.api, workerB.clock, 'second');
    await work(single.api, single.clock, 'first');
    await work(single.api, single.clock, 'second');

    const merged = mergeSources([
      { instanceId: 'w1', scopeMetrics: throughIpc(await collected(workerA)) },
      { instanceId: 'w2', scopeMetrics: throughIpc(await collected(workerB)) },
    ]);
    const mergedText = serialize(merged);
    const singleText = serialize(await collected(single));
    const summed = familiesWithRule(singleText, 'sum');
    // The comparison covers the counters, histograms and in-flight gauges the work produced.
    for (const name of ['ryot_inference_requests_total', 'ryot_inference_ttft_seconds_bucket', 'ryot_inference_errors_total', 'ryot_cache_hits_total', 'ryot_inference_requests_in_flight', 'ryot_batch_size_bucket', 'ryot_inference_queue_wait_seconds_sum']) {
      expect(summed.some((line) => line.startsWith(name)), name).toBe(true);
    }
    expect(familiesWithRule(mergedText, 'sum')).toEqual(summed);
    expect(parseExposition(mergedText).value('ryot_inference_requests_in_flight', { model: 'llama' })).toBe(2);
    for (const ryot of [workerA, workerB, single]) await ryot.provider.shutdown();
  });

  it('keeps the largest of a max gauge and every worker’s own series of a per-worker gauge', async () => {
    const workerA = createTestRyot();
    const workerB = createTestRyot();
    workerA.api.recordModelLoad('llama', 2);
    workerB.api.recordModelLoad('llama', 5);
    workerA.api.updateGpuMetrics({ model: 'llama', gpuId: 0, usedBytes: 100 });
    workerB.api.updateGpuMetrics({ model: 'llama', gpuId: 0, usedBytes: 300 });
    workerA.api.systemInfo.info({ version: '1.2.3' });
    workerB.api.systemInfo.info({ version: '1.2.3' });
    const merged = parseExposition(
      serialize(
        mergeSources([
          { instanceId: 'w1', scopeMetrics: throughIpc(await collected(workerA)) },
          { instanceId: 'w2', scopeMetrics: throughIpc(await collected(workerB)) },
        ]),
      ),
    );
    expect(merged.get('ryot_model_loading_duration_seconds').map((s) => s.value)).toEqual([5]);
    expect(merged.get('ryot_gpu_memory_usage_bytes').map((s) => [s.labels['service_instance_id'], s.value])).toEqual([
      ['w1', 100],
      ['w2', 300],
    ]);
    expect(merged.get('ryot_system_info').map((s) => [s.labels['version'], s.value])).toEqual([['1.2.3', 1]]);
    for (const ryot of [workerA, workerB]) await ryot.provider.shutdown();
  });
});

describe('the snapshot codec', () => {
  async function rawCollection(record: (provider: MeterProvider) => void): Promise<ScopeMetrics[]> {
    const reader = new TestReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'latency', aggregation: { type: 4, options: { boundaries: [1, 10], recordMinMax: true } } } as never],
    });
    record(provider);
    const { resourceMetrics } = await reader.collect();
    await provider.shutdown();
    return resourceMetrics.scopeMetrics;
  }

  it('carries values JSON cannot (NaN, ±Infinity), min and max, monotonicity, value types and scopes through JSON', async () => {
    const original = await rawCollection((provider) => {
      const meter = provider.getMeter('app', '2.0.0', { schemaUrl: 'https://example.com/schema' });
      meter.createGauge('temperature', { unit: 'Cel' }).record(Number.NaN, { zone: 'a' });
      meter.createGauge('temperature').record(Number.POSITIVE_INFINITY, { zone: 'b' });
      meter.createGauge('temperature').record(Number.NEGATIVE_INFINITY, { zone: 'c' });
      meter.createCounter('jobs', { valueType: ValueType.INT, description: 'jobs done' }).add(3, { kind: 'x' });
      meter.createUpDownCounter('depth').add(-2);
      const latency = meter.createHistogram('latency');
      for (const value of [0.5, 4, 40]) latency.record(value, { route: '/' });
    });
    const decoded = throughIpc(original);
    expect(decoded.map((s) => s.scope)).toEqual([{ name: 'app', version: '2.0.0', schemaUrl: 'https://example.com/schema' }]);
    const byName = (scopes: ScopeMetrics[], name: string) => scopes[0]!.metrics.find((m) => m.descriptor.name === name)!;
    const points = (metric: MetricData) => metric.dataPoints.map((p) => [p.attributes, p.value]);
    for (const name of ['temperature', 'jobs', 'depth', 'latency']) {
      const [before, after] = [byName(original, name), byName(decoded, name)];
      // The documented MetricDescriptor fields (the SDK's objects carry internal ones beside them).
      const { name: n, description, unit, valueType } = before.descriptor;
      expect(after.descriptor, name).toEqual({ name: n, description, unit, valueType });
      expect(after.dataPointType, name).toBe(before.dataPointType);
      expect(after.aggregationTemporality, name).toBe(AggregationTemporality.CUMULATIVE);
      expect(points(after), name).toEqual(points(before));
    }
    expect(byName(decoded, 'jobs')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true });
    expect(byName(decoded, 'depth')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false });
    expect(byName(decoded, 'latency').dataPoints[0]!.value).toMatchObject({ count: 3, sum: 44.5, min: 0.5, max: 40, buckets: { boundaries: [1, 10], counts: [1, 1, 1] } });
  });

  it('sends each attribute set once per worker: later snapshots carry only new sets, and a decoder that lost track asks again', async () => {
    const ryot = createTestRyot();
    const request = (model: string) => {
      const context = ryot.api.startInference({ model });
      ryot.clock.nowMs += 100;
      context.recordToken();
      context.end();
    };
    request('llama');
    const encoder = new SnapshotEncoder();
    const decoder = new SnapshotDecoder();
    const first = JSON.parse(JSON.stringify(encoder.encode(await collected(ryot)))) as WireSnapshot;
    expect(first.t).toBe(0);
    expect(first.a.length).toBeGreaterThan(0);
    const decodedFirst = decoder.decode(first);
    request('llama');
    const second = JSON.parse(JSON.stringify(encoder.encode(await collected(ryot)))) as WireSnapshot;
    expect(second).toMatchObject({ t: first.a.length, a: [] });
    const decodedSecond = decoder.decode(second);
    const requests = (scopes: ScopeMetrics[]) => scopes.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'ryot_inference_requests')!.dataPoints[0]!;
    expect(requests(decodedSecond).value).toBe(2);
    // The same attribute object as the first time: the primary's per-object caches keep hitting.
    expect(requests(decodedSecond).attributes).toBe(requests(decodedFirst).attributes);
    request('mistral');
    const third = JSON.parse(JSON.stringify(encoder.encode(await collected(ryot)))) as WireSnapshot;
    expect(third.a.map((attributes) => attributes['model'])).toContain('mistral');
    expect(third.a.every((attributes) => attributes['model'] === 'mistral')).toBe(true);
    // A decoder that never saw the earlier snapshots cannot place the new sets; after a reset the encoder sends all.
    const stranger = new SnapshotDecoder();
    expect(() => stranger.decode(third)).toThrow(SnapshotTableError);
    encoder.reset();
    const whole = JSON.parse(JSON.stringify(encoder.encode(await collected(ryot)))) as WireSnapshot;
    expect(whole.t).toBe(0);
    expect(requests(stranger.decode(whole)).value).toBe(2);
    await ryot.provider.shutdown();
  });

  it('sends each attribute set once, however many metrics and points refer to it', async () => {
    const ryot = createTestRyot();
    for (let i = 0; i < 3; i++) {
      const context = ryot.api.startInference({ model: 'llama' });
      ryot.clock.nowMs += 100;
      context.recordToken();
      context.end();
    }
    const snapshot = encodeSnapshot(await collected(ryot));
    const models = snapshot.a.filter((attributes) => Object.keys(attributes).length === 1 && attributes['model'] === 'llama');
    expect(models).toHaveLength(1);
    await ryot.provider.shutdown();
  });
});

describe('SnapshotEncoder table bound', () => {
  const scope = { name: 'app' };
  const time: [number, number] = [1, 0];
  const descriptor = (name: string) => ({ name, description: '', unit: '', valueType: ValueType.DOUBLE });
  /** A worker's collection: a counter on one stable set and an info gauge whose labels were replaced `version` times. */
  const collection = (version: string, requests: number): ScopeMetrics[] => [
    {
      scope,
      metrics: [
        { descriptor: descriptor('requests'), aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: [{ startTime: time, endTime: time, attributes: { route: '/' }, value: requests }] },
        { descriptor: descriptor('app_info'), aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: [{ startTime: time, endTime: time, attributes: { version }, value: 1 }] },
      ],
    },
  ];
  const points = (scopes: ScopeMetrics[], name: string) =>
    scopes[0]!.metrics.find((metric) => metric.descriptor.name === name)!.dataPoints.map((point) => [point.attributes, point.value]);

  it('a worker whose info labels change 5,000 times keeps its table bounded, and the merged output stays right', () => {
    const encoder = new SnapshotEncoder();
    const decoder = new SnapshotDecoder();
    const other = collection('static', 10);
    const wholeTablesAt: number[] = [];
    let largest = 0;
    for (let i = 0; i < 5000; i++) {
      const snapshot = JSON.parse(JSON.stringify(encoder.encode(collection(`v${i}`, i)))) as WireSnapshot;
      if (snapshot.t === 0) wholeTablesAt.push(i);
      largest = Math.max(largest, encoder.tableSize);
      const merged = mergeSources([
        { instanceId: 'w1', scopeMetrics: decoder.decode(snapshot) },
        { instanceId: 'w2', scopeMetrics: other },
      ]);
      expect(points(merged, 'requests')).toEqual([[{ route: '/' }, i + 10]]);
      expect(points(merged, 'app_info')).toEqual([
        [{ version: `v${i}`, [INSTANCE_ATTRIBUTE]: 'w1' }, 1],
        [{ version: 'static', [INSTANCE_ATTRIBUTE]: 'w2' }, 1],
      ]);
    }
    // Each snapshot uses 2 sets and adds 1: the table reaches 1,025 (> 1,024 and > 2 × 2) at snapshot 1,023 and
    // starts over with the 2 in use, then again every 1,023 snapshots.
    expect(wholeTablesAt).toEqual([0, 1023, 2046, 3069, 4092]);
    expect(largest).toBe(1024);
    expect(encoder.tableSize).toBe(2 + (4999 - 4092));
  });
});

describe('mergeSources', () => {
  const scope = { name: 'app' };
  const time: [number, number] = [1, 0];
  const histogramPoint = (boundaries: number[], counts: number[], attributes = { route: '/' }) => ({
    startTime: time,
    endTime: time,
    attributes,
    value: { buckets: { boundaries, counts }, count: counts.reduce((a, b) => a + b, 0), sum: 1 },
  });
  const histogram = (points: ReturnType<typeof histogramPoint>[]): ScopeMetrics[] => [
    { scope, metrics: [{ descriptor: { name: 'latency', description: '', unit: 's', valueType: ValueType.DOUBLE }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: points }] },
  ];

  it('keeps a histogram whose buckets differ from the others’ apart, under its worker', () => {
    const [merged] = mergeSources([
      { instanceId: 'w1', scopeMetrics: histogram([histogramPoint([1, 10], [1, 2, 3])]) },
      { instanceId: 'w2', scopeMetrics: histogram([histogramPoint([1, 10], [1, 0, 0])]) },
      { instanceId: 'w3', scopeMetrics: histogram([histogramPoint([1, 5, 10], [1, 1, 1, 1])]) },
    ]);
    const points = merged!.metrics[0]!.dataPoints as ReturnType<typeof histogramPoint>[];
    expect(points.map((p) => [p.attributes, p.value.buckets.counts])).toEqual([
      [{ route: '/' }, [2, 2, 3]],
      [{ route: '/', [INSTANCE_ATTRIBUTE]: 'w3' }, [1, 1, 1, 1]],
    ]);
  });

  it('matches attribute sets whatever their key order, and never changes its sources', () => {
    const first = histogram([histogramPoint([1], [1, 1], { a: 'x', b: 'y' } as never)]);
    const second = histogram([histogramPoint([1], [2, 2], { b: 'y', a: 'x' } as never)]);
    const [merged] = mergeSources([
      { instanceId: 'w1', scopeMetrics: first },
      { instanceId: 'w2', scopeMetrics: second },
    ]);
    expect(merged!.metrics[0]!.dataPoints.map((p) => (p.value as { buckets: { counts: number[] } }).buckets.counts)).toEqual([[3, 3]]);
    expect((first[0]!.metrics[0]!.dataPoints[0]!.value as { buckets: { counts: number[] } }).buckets.counts).toEqual([1, 1]);
  });

  it('hands out the same attribute object for a series merge after merge, as label caches need', () => {
    const interner = new AttributeInterner();
    const once = () => mergeSources([{ instanceId: 'w1', scopeMetrics: throughIpc(histogram([histogramPoint([1], [1, 1])])) }], { interner });
    const a = once()[0]!.metrics[0]!.dataPoints[0]!.attributes;
    const b = once()[0]!.metrics[0]!.dataPoints[0]!.attributes;
    expect(b).toBe(a);
  });
});

describe('the wait a collect hook is given', () => {
  it('is half the scrape timeout Prometheus announces, else the endpoint’s own', async () => {
    const budgets: number[] = [];
    const endpoint = createPrometheusEndpoint(
      { scrapeTimeoutMs: 8000, scrapeCacheMs: 0 },
      {
        collect: (collectLocal, deadline) => {
          budgets.push(deadline - performance.now());
          return collectLocal();
        },
      },
    );
    const provider = new MeterProvider({ readers: [endpoint.reader] });
    const server = await listen(endpoint.handler);
    try {
      await (await fetch(`${server.url}/metrics`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '0.4' } })).text();
      await (await fetch(`${server.url}/metrics`)).text();
    } finally {
      await server.close();
      await provider.shutdown();
    }
    expect(budgets).toHaveLength(2);
    expect(budgets[0]).toBeLessThanOrEqual(200);
    expect(budgets[0]).toBeGreaterThan(100);
    expect(budgets[1]).toBeGreaterThan(7000);
    expect(budgets[1]).toBeLessThanOrEqual(8000);
  });
});
