import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startInference, trackInferenceRequest } from '@ryot/metrics';
import { METRICS } from '@ryot/metrics/instrumentation';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createOtlpMetricReader, startTelemetry, type OtlpOptions, type TelemetryHandle } from '@ryot/exporters';
import { AGGREGATION_PATHS, aggregationOption, uniqueModel, type AggregationPath } from '../helpers/telemetry.js';
import { OtlpReceiver, attributeMap, attributesMatch } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
  metrics.disable();
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await new OtlpReceiver().start();
  cleanups.push(() => r.stop());
  return r;
}

async function push(otlp: OtlpOptions, path: AggregationPath = 'ryot'): Promise<TelemetryHandle> {
  const handle = await startTelemetry({ otlp, gpu: false, serviceName: 'otlp-test', resourceAttributes: { 'deployment.environment': 'test' }, ...aggregationOption(path) });
  cleanups.push(() => handle.shutdown());
  return handle;
}

async function traffic(model: string, ok: number, failed: number, tokensEach: number): Promise<void> {
  const call = trackInferenceRequest({ model })(async (fail: boolean) => {
    if (fail) throw new Error('upstream failed');
    return 'ok';
  });
  for (let i = 0; i < ok; i++) await call(false);
  for (let i = 0; i < failed; i++) await call(true).catch(() => undefined);
  const context = startInference({ model });
  context.setPromptTokens(7);
  for (let i = 0; i < tokensEach; i++) context.recordToken();
  context.end();
}

describe.each(AGGREGATION_PATHS)('OTLP push, decoded by a real OTLP decoder, per-request series through %s', (path) => {
  it.each([
    ['http/protobuf', 'none'],
    ['http/protobuf', 'gzip'],
    ['http/json', 'none'],
    ['http/json', 'gzip'],
  ] as const)('%s with compression %s: names, buckets, counts, resource, headers', async (protocol, compression) => {
    const r = await receiver();
    const handle = await push({ url: r.url, protocol, compression, intervalMs: 60_000, headers: { 'x-api-key': 'k1' } }, path);
    const llama = uniqueModel('llama');
    await traffic(llama, 4, 1, 12);
    await handle.forceFlush();

    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.encoding).toBe(protocol === 'http/json' ? 'json' : 'protobuf');
    expect(got.gzip).toBe(compression === 'gzip');
    expect(got.headers['x-api-key']).toBe('k1');

    const resource = attributeMap(got.request.resourceMetrics?.[0]?.resource?.attributes);
    expect(resource).toMatchObject({ 'service.name': 'otlp-test', 'deployment.environment': 'test', 'telemetry.sdk.language': 'nodejs' });
    const scopes = got.request.resourceMetrics?.[0]?.scopeMetrics?.filter((s) => s.scope?.name === '@ryot/metrics') ?? [];
    const names = scopes.flatMap((scope) => (scope.metrics ?? []).map((m) => m.name));
    expect(names).toEqual(expect.arrayContaining([METRICS.requests.name, METRICS.requestDuration.name, METRICS.tokensGenerated.name, METRICS.promptTokens.name]));

    // 4 wrapped successes + the streamed InferenceContext request.
    expect(r.lastSum(METRICS.requests.name, { model: llama, status: 'success' })).toBe(5);
    expect(r.lastSum(METRICS.requests.name, { model: llama, status: 'error' })).toBe(1);
    expect(r.lastSum(METRICS.tokensGenerated.name, { model: llama })).toBe(12);
    expect(r.lastSum(METRICS.promptTokens.name, { model: llama })).toBe(7);
    const requests = r.metrics(METRICS.requests.name)[0]!;
    expect(requests.sum?.isMonotonic).toBe(true);
    expect(requests.sum?.aggregationTemporality).toBe(2); // CUMULATIVE by default

    const duration = r.metrics(METRICS.requestDuration.name)[0]!;
    expect(duration.unit).toBe('s');
    const point = duration.histogram?.dataPoints?.find((p) => attributesMatch(p.attributes, { model: llama }));
    expect(point?.explicitBounds).toEqual([...METRICS.requestDuration.buckets]);
    expect(point?.count).toBe(6); // 5 wrapped requests + 1 InferenceContext
    expect(point?.bucketCounts).toHaveLength(METRICS.requestDuration.buckets.length + 1);
    expect(point?.bucketCounts?.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('delta temporality is passed to the exporter', async () => {
    const r = await receiver();
    const handle = await push({ url: r.url, intervalMs: 60_000, temporality: 'delta' }, path);
    const m = uniqueModel('m');
    await traffic(m, 2, 0, 1);
    await handle.forceFlush();
    await traffic(m, 3, 0, 1);
    await handle.forceFlush();
    expect(r.metrics(METRICS.requests.name)[0]?.sum?.aggregationTemporality).toBe(1); // DELTA
    expect(r.lastSum(METRICS.requests.name, { model: m, status: 'success' })).toBe(4); // only the second interval (3 + 1 streamed)
  });

  it('is configured from OTEL_* env alone, the OTLP exporter reading endpoint and headers itself', async () => {
    const r = await receiver();
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', r.url.replace('/v1/metrics', '')); // generic: /v1/metrics is appended
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'authorization=Bearer%20abc,x-tenant=t1');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/json');
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '200');
    vi.stubEnv('OTEL_SERVICE_NAME', 'env-only');
    const handle = await startTelemetry({ gpu: false });
    cleanups.push(() => handle.shutdown());
    expect(handle.exporters).toEqual(['otlp']);
    // The URL the handle (and any failure report) names is where the exporter posts.
    expect(handle.otlp?.url).toBe(r.url);
    const model = uniqueModel('env-model');
    await traffic(model, 1, 0, 1);
    // No forceFlush: the 200 ms interval from the environment must deliver it.
    await r.waitFor(() => r.lastSum(METRICS.requests.name, { model, status: 'success' }) === 2, 3000);
    const got = r.received.at(-1)!;
    expect(got.encoding).toBe('json');
    expect(got.headers['authorization']).toBe('Bearer abc');
    expect(got.headers['x-tenant']).toBe('t1');
    expect(attributeMap(got.request.resourceMetrics?.[0]?.resource?.attributes)['service.name']).toBe('env-only');
  });
});

describe('createOtlpMetricReader', () => {
  it('exports what extra metricProducers return, beside the SDK', async () => {
    const r = await receiver();
    const other = new PrometheusExporter({ preventServerStart: true });
    const otherProvider = new MeterProvider({ readers: [other] });
    cleanups.push(() => otherProvider.shutdown());
    otherProvider.getMeter('produced').createCounter('produced.things').add(7, { kind: 'x' });
    const reader = createOtlpMetricReader({ url: r.url, intervalMs: 60_000, metricProducers: [{ collect: (options) => other.collect(options) }] }, {});
    const provider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => provider.shutdown());
    provider.getMeter('own').createCounter('own.things').add(1);
    await reader.forceFlush();
    expect(r.lastSum('produced.things', { kind: 'x' })).toBe(7);
    expect(r.metrics('own.things')).toHaveLength(1);
  });
});

describe('OTLP settings the exporter reads from the environment itself (README, "Environment variables")', () => {
  async function fromEnv(r: OtlpReceiver, env: Record<string, string>): Promise<TelemetryHandle> {
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', r.url);
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '60000');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const handle = await startTelemetry({ gpu: false });
    cleanups.push(() => handle.shutdown());
    return handle;
  }

  it('headers: generic and metrics-specific are merged, the specific one winning', async () => {
    const r = await receiver();
    const handle = await fromEnv(r, { OTEL_EXPORTER_OTLP_HEADERS: 'x-a=generic,x-b=generic', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-b=specific' });
    await traffic('h', 1, 0, 1);
    await handle.forceFlush();
    expect(r.received.at(-1)?.headers).toMatchObject({ 'x-a': 'generic', 'x-b': 'specific' });
  });

  it('compression and temporality preference', async () => {
    const r = await receiver();
    const handle = await fromEnv(r, { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' });
    const t = uniqueModel('t');
    await traffic(t, 2, 0, 1);
    await handle.forceFlush();
    await traffic(t, 1, 0, 1);
    await handle.forceFlush();
    expect(r.received.every((got) => got.gzip)).toBe(true);
    expect(r.metrics(METRICS.requests.name).at(-1)?.sum?.aggregationTemporality).toBe(1); // DELTA
    expect(r.lastSum(METRICS.requests.name, { model: t, status: 'success' })).toBe(2); // the second interval only
  });

  it('request timeout: OTEL_EXPORTER_OTLP_TIMEOUT bounds an export to a hanging collector', async () => {
    const r = await receiver();
    r.mode = { kind: 'hang' };
    const handle = await fromEnv(r, { OTEL_EXPORTER_OTLP_TIMEOUT: '300' });
    await traffic('slow', 1, 0, 1);
    const flushed = handle.forceFlush();
    // The exporter's own default is 10 s; with 300 ms the export has failed long before 5 s.
    await r.waitFor(() => handle.otlp?.lastExport !== undefined, 5000);
    await flushed;
    expect(handle.otlp?.lastExport?.ok).toBe(false);
    expect(handle.otlp?.lastExport?.error).toMatch(/timed out/i);
  });
});
