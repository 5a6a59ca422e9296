/**
 * Every synchronous Ryot instrument recorded for a set of models: the series a busy
 * inference service exposes. Shared by the benchmarks and the scrape-storm test.
 */
import type { MeterProvider } from '@opentelemetry/api';
import { MeterProvider as SdkMeterProvider, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { ryotViews } from '@ryot/metrics';
import { ALL_METRICS, RYOT_METER_NAME, createInstrument, type MetricDefinition } from '@ryot/metrics/instrumentation';
import { SnapshotReader } from '../src/cluster/worker.js';

/** Every synchronous catalog instrument an application records (the cluster group is the primary's own). */
export const SYNC_METRICS = ALL_METRICS.filter((d) => !d.kind.startsWith('observable') && d.group !== 'cluster');

export function labelsFor(definition: MetricDefinition, model: string): Record<string, string> {
  return Object.fromEntries(definition.attributes.map((key) => [key, key === 'model' || key.endsWith('.model') ? model : `${key}-value`]));
}

type Recordable = { add?: (v: number, a: Record<string, string>) => void; record?: (v: number, a: Record<string, string>) => void };

/** Five values per series, into `provider`'s Ryot meter. */
export function recordEveryInstrument(provider: MeterProvider, models: readonly string[]): void {
  const meter = provider.getMeter(RYOT_METER_NAME);
  for (const definition of SYNC_METRICS) {
    const instrument = createInstrument(meter, definition) as unknown as Recordable;
    for (const model of models) {
      const labels = labelsFor(definition, model);
      for (let i = 0; i < 5; i++) {
        instrument.add?.(1 + i, labels);
        instrument.record?.(0.05 * (i + 1), labels);
      }
    }
  }
}

export function modelNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `model-${i}`);
}

/** What a cluster worker that recorded every instrument for `models` collects at a scrape (through its own reader). */
export async function workerCollection(models: number): Promise<ScopeMetrics[]> {
  const reader = new SnapshotReader();
  const provider = new SdkMeterProvider({ views: ryotViews(), readers: [reader] });
  recordEveryInstrument(provider, modelNames(models));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics.scopeMetrics;
}
