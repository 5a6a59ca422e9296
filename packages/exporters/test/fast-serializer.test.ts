/**
 * The fast family serializer writes what OTel's PrometheusSerializer writes, byte for byte: collected through the
 * real SDK (and Ryot's producer), serialized both ways, compared whole.
 */
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { createRyot, ryotViews } from '@ryot/metrics';
import { FastFamilySerializer } from '../src/fast-serializer.js';

const HOSTILE = ['he said "hi"', 'C:\\models\\', 'line1\nline2', 'unicode ✓ 模型 🚀', '{curly}=,comma', ''];

async function collected() {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const api = createRyot({});
  const withProducer = new PrometheusExporter({ preventServerStart: true, metricProducers: [api.metricProducer()] });
  const provider = new MeterProvider({
    readers: [reader, withProducer],
    views: ryotViews(),
    resource: resourceFromAttributes({ 'service.name': 'svc "x"', 'service.instance.id': 7, 'deployment.flag': true }),
  });
  api.configure({ meterProvider: provider });
  const plain = provider.getMeter('plain');
  const versioned = provider.getMeter('versioned.meter', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const counter = plain.createCounter('requests.count', { description: 'with\\backslash\nand newline', unit: '{request}' });
  const upDown = versioned.createUpDownCounter('9in_flight');
  const gauge = versioned.createGauge('temperature', { unit: 'Cel' });
  const histogram = plain.createHistogram('latency', { advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
  const withInfinity = plain.createHistogram('with_inf', { advice: { explicitBucketBoundaries: [1, Number.POSITIVE_INFINITY] } });
  const total = plain.createCounter('already_total');
  for (const [i, value] of HOSTILE.entries()) {
    counter.add(i + 1, { model: value, 'dotted.key': i, flag: i % 2 === 0 });
    upDown.add(-i, { model: value });
    gauge.record(i === 0 ? Number.NaN : i * 1.5, { model: value });
    histogram.record(i * 2.5, { model: value });
    withInfinity.record(i, { model: value });
  }
  counter.add(3);
  total.add(1);
  // Ryot's own families, through the producer.
  const ctx = api.startInference({ model: HOSTILE[0]!, promptTokens: 4 });
  ctx.recordToken();
  ctx.recordToken();
  ctx.end();
  api.modelInfo.info({ model: HOSTILE[1]!, quantization: 'awq' });
  return { plain: (await reader.collect()).resourceMetrics, produced: (await withProducer.collect()).resourceMetrics, provider };
}

describe('FastFamilySerializer', () => {
  for (const withoutScopeInfo of [false, true]) {
    for (const withoutTargetInfo of [false, true]) {
      it(`writes what OTel's serializer writes (withoutScopeInfo ${withoutScopeInfo}, withoutTargetInfo ${withoutTargetInfo})`, async () => {
        const { plain, produced, provider } = await collected();
        for (const resourceMetrics of [plain, produced]) {
          const expected = new PrometheusSerializer(undefined, false, undefined, withoutTargetInfo, withoutScopeInfo).serialize(resourceMetrics);
          const fast = new FastFamilySerializer(withoutScopeInfo);
          let actual = withoutTargetInfo ? '' : fast.targetInfo(resourceMetrics.resource);
          for (const scopeMetrics of resourceMetrics.scopeMetrics) {
            for (const metric of scopeMetrics.metrics) actual += fast.family(metric, scopeMetrics.scope);
          }
          expect(actual).toBe(expected);
          // Twice: the cached label texts give the same bytes.
          let again = withoutTargetInfo ? '' : fast.targetInfo(resourceMetrics.resource);
          for (const scopeMetrics of resourceMetrics.scopeMetrics) {
            for (const metric of scopeMetrics.metrics) again += fast.family(metric, scopeMetrics.scope);
          }
          expect(again).toBe(expected);
        }
        expect(produced.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name))).toContain('ryot_inference_ttft_seconds');
        await provider.shutdown();
      });
    }
  }
});
