/** A real MeterProvider + PrometheusExporter (no server) and a Prometheus text reader. */
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { parseExposition, TestReader } from '@ryot/metrics/testing';

export interface Scrapable {
  provider: MeterProvider;
  exporter: PrometheusExporter;
  scrape(): Promise<string>;
}

/**
 * `delta` shows exactly what the last collection observed (with cumulative temporality, as the Prometheus exporter
 * uses, the OTel JS SDK keeps re-exporting the last value of a series that is no longer observed).
 */
export function prometheusProvider(): Scrapable & { delta: TestReader } {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const delta = new TestReader({ temporality: 'delta' });
  const provider = new MeterProvider({ readers: [exporter, delta] });
  const serializer = new PrometheusSerializer();
  return {
    provider,
    exporter,
    delta,
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

/** Values of one metric's samples whose labels include every given pair. */
export function series(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return parseExposition(text).get(name, labels).map((sample) => sample.value);
}

/** The single value of a series; throws when absent or ambiguous. */
export function single(text: string, name: string, labels: Record<string, string> = {}): number {
  const found = series(text, name, labels);
  if (found.length !== 1) throw new Error(`expected one ${name} ${JSON.stringify(labels)}, found ${found.length}\n${text}`);
  return found[0] as number;
}

export { captureDiagWarnings } from '@ryot/metrics/testing';

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

