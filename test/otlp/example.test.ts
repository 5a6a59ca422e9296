import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '@ryot/metrics/instrumentation';
import { runPushExample } from './push-example.js';
import { OtlpReceiver } from './receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('examples/otlp-push', () => {
  it('pushes to a collector configured only through OTEL_* variables and flushes on exit', async () => {
    const receiver = await new OtlpReceiver().start();
    cleanups.push(() => receiver.stop());
    const run = runPushExample({
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      RYOT_EXAMPLE_SECONDS: '1.5',
    });
    cleanups.push(async () => run.kill());
    const { code, output } = await run.done;
    expect(code, output).toBe(0);
    const done = /done: (\d+) requests recorded/.exec(output);
    expect(done, output).not.toBeNull();
    expect(receiver.received.length).toBeGreaterThanOrEqual(2); // interval exports plus the final flush
    expect(receiver.received.every((r) => r.encoding === 'json')).toBe(true);
    const total = receiver
      .metrics(METRICS.requests.name)
      .at(-1)
      ?.sum?.dataPoints?.reduce((sum, p) => sum + (p.asInt ?? p.asDouble ?? 0), 0);
    expect(total).toBe(Number(done?.[1])); // the final export carries every request
  });
});
