/**
 * The path for applications that already run @opentelemetry/sdk-node: no startTelemetry,
 * just ryotViews() and Ryot's readers handed to NodeSDK. The tracking API records into
 * the global MeterProvider that NodeSDK registers.
 */
import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ryotViews, trackInferenceRequest } from '@ryot/metrics';
import { METRICS } from '@ryot/metrics/instrumentation';
import { PROMETHEUS_CONTENT_TYPE, createOtlpMetricReader, createPrometheusEndpoint } from '@ryot/exporters';
import { listen } from '../../packages/exporters/test/helpers.js';
import { OtlpReceiver, attributesMatch } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  metrics.disable();
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
});
