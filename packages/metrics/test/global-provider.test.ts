import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InferenceContext, ryotViews, trackInferenceRequest } from '../src/index.js';
import { TestReader, value } from '../src/testing.js';

afterEach(() => metrics.disable());

async function collect(reader: TestReader) {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
}

describe('default instance and the global MeterProvider (otel-js #3622)', () => {
  it('records into a provider registered after the tracker was created and used', async () => {
    const generate = trackInferenceRequest({ model: 'late' })(async () => 'ok');
    await generate(); // no provider yet: recorded into the no-op provider, harmlessly
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader], views: ryotViews() }));
    await generate();
    new InferenceContext({ model: 'late' }).end();
    const all = await collect(reader);
    expect(value(all, 'ryot_inference_requests', { model: 'late', status: 'success' })).toBe(2);
  });

  it('follows a replaced global provider', async () => {
    const generate = trackInferenceRequest({ model: 'swap' })(async () => 'ok');
    const first = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [first] }));
    await generate();
    metrics.disable();
    const second = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [second] }));
    await generate();
    await generate();
    expect(value(await collect(first), 'ryot_inference_requests', { model: 'swap', status: 'success' })).toBe(1);
    expect(value(await collect(second), 'ryot_inference_requests', { model: 'swap', status: 'success' })).toBe(2);
  });
});
