/**
 * The path for applications that already run @opentelemetry/sdk-node: no startTelemetry,
 * just ryotViews() and Ryot's readers handed to NodeSDK. The tracking API records into
 * the global MeterProvider that NodeSDK registers.
 *
 * The default instance's producer, once created, stays for the process: the test without it runs first.
 */
import { diag, DiagLogLevel, metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ryotMetricProducer, ryotViews, systemInfo, trackInferenceRequest } from '@ryot/metrics';
import { METRICS } from '@ryot/metrics/instrumentation';
import { PROMETHEUS_CONTENT_TYPE, createOtlpMetricReader, createPrometheusEndpoint } from '@ryot/exporters';
import { listen } from '../../packages/exporters/test/helpers.js';
import { OtlpReceiver, attributesMatch } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
  diag.disable();
});

describe('Ryot inside an existing @opentelemetry/sdk-node setup', () => {
  it('NodeSDK with ryotViews() and Ryot readers serves the scrape endpoint and pushes OTLP', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const scrape = createPrometheusEndpoint({ withoutScopeInfo: true });
    const push = createOtlpMetricReader({ url: receiver.url, intervalMs: 60_000, timeoutMs: 2000 });
    const sdk = new NodeSDK({
      resource: resourceFromAttributes({ 'service.name': 'sdk-node-app' }),
      views: ryotViews(),
      metricReaders: [scrape.reader, push],
      instrumentations: [],
    });
    sdk.start();
    cleanups.push(() => sdk.shutdown());

    const call = trackInferenceRequest({ model: 'qwen' })(async () => 'ok');
    await call();
    await call();

    const server = await listen(scrape.handler);
    cleanups.push(server.close);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const body = await response.text();
    expect(body).toContain('ryot_inference_requests_total{model="qwen",status="success"} 2');
    // ryotViews() applied: seconds buckets, not the SDK's ms defaults.
    expect(body).toContain('ryot_inference_request_duration_seconds_bucket{model="qwen",le="0.01"}');
    expect(body).toMatch(/target_info\{[^}]*service_name="sdk-node-app"/);

    await push.forceFlush();
    expect(receiver.lastSum(METRICS.requests.name, { model: 'qwen', status: 'success' })).toBe(2);
    const duration = receiver.metrics(METRICS.requestDuration.name)[0];
    const point = duration?.histogram?.dataPoints?.find((p) => attributesMatch(p.attributes, { model: 'qwen' }));
    expect(point?.explicitBounds).toEqual([...METRICS.requestDuration.buckets]);
  });

  it('as exporters/README.md shows it: ryotMetricProducer() on each reader; the per-request series arrive once, from the producer', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    // The README's snippet, with the receiver's URL, no extra views, and no scrape cache (two scrapes follow).
    const scrape = createPrometheusEndpoint({ withoutScopeInfo: true, scrapeCacheMs: 0, metricProducers: [ryotMetricProducer()] });
    const push = createOtlpMetricReader({ url: receiver.url, intervalMs: 60_000, timeoutMs: 2000, metricProducers: [ryotMetricProducer()] });
    const sdk = new NodeSDK({
      resource: resourceFromAttributes({ 'service.name': 'sdk-node-app' }),
      views: [...ryotViews()],
      metricReaders: [scrape.reader, push],
      instrumentations: [],
    });
    sdk.start();
    cleanups.push(() => sdk.shutdown());
    const said: { level: string; message: string }[] = [];
    const log = (level: string) => (message: string) => void said.push({ level, message });
    diag.setLogger({ error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('verbose') }, { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true });

    const call = trackInferenceRequest({ model: 'qwen' })(async () => 'ok');
    await call();
    await call();
    systemInfo.info({ build: 'a' });

    const server = await listen(scrape.handler);
    cleanups.push(server.close);
    const scrapeText = async () => (await fetch(`${server.url}/metrics`)).text();
    const first = await scrapeText();
    // Once: one family, one sample of 2 (the instruments recording too would make a second family, or 4).
    expect(first.split('\n').filter((line) => line.startsWith('# TYPE ryot_inference_requests_total '))).toHaveLength(1);
    expect(first.split('\n').filter((line) => line.startsWith('ryot_inference_requests_total{'))).toEqual(['ryot_inference_requests_total{model="qwen",status="success"} 2']);
    expect(first).toContain('ryot_inference_request_duration_seconds_count{model="qwen"} 2');
    // Served by the producer: a replaced info label set leaves the exposition (the SDK's instruments would keep it).
    systemInfo.info({ build: 'b' });
    const second = await scrapeText();
    expect(second).toContain('build="b"');
    expect(second).not.toContain('build="a"');

    await push.forceFlush();
    const exported = receiver.metrics(METRICS.requests.name);
    expect(exported).toHaveLength(1);
    expect(exported[0]!.sum!.dataPoints!.map((p) => p.asInt ?? p.asDouble)).toEqual([2]);
    expect(receiver.metrics(METRICS.requestDuration.name)[0]?.histogram?.dataPoints?.map((p) => Number(p.count))).toEqual([2]);

    expect(said.filter((entry) => entry.message.includes('per-request series are'))).toEqual([
      { level: 'debug', message: expect.stringContaining('aggregated by Ryot and exported through ryotMetricProducer()') },
    ]);
    // Nothing from Ryot above debug: no reader lacks the producer. (NodeSDK's own resource detection may log.)
    expect(said.filter((entry) => entry.level !== 'debug' && entry.message.startsWith('@ryot/'))).toEqual([]);
  });
});
