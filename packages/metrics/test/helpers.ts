import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricProducer,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Attributes } from '@opentelemetry/api';
import { createRyot, ryotViews, type RyotApi, type RyotOptions } from '../src/index.js';

/** A pull reader the test drives by hand. */
export class TestReader extends MetricReader {
  constructor(options: { metricProducers?: MetricProducer[] } = {}) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, ...options });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Harness {
  api: RyotApi;
  provider: MeterProvider;
  reader: TestReader;
  clock: ManualClock;
  metrics(): Promise<MetricData[]>;
  prometheusText(): Promise<string>;
}

export class ManualClock {
  constructor(public nowMs = 1_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export function createHarness(options: Omit<RyotOptions, 'meterProvider' | 'clock'> = {}, withViews = true): Harness {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader], ...(withViews ? { views: ryotViews() } : {}) });
  const clock = new ManualClock();
  const api = createRyot({ ...options, meterProvider: provider, clock: clock.now });
  const metrics = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collect failed');
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  };
  const prometheusText = async () => {
    const { resourceMetrics } = await reader.collect();
    return new PrometheusSerializer('', false, undefined, true, true).serialize(resourceMetrics);
  };
  return { api, provider, reader, clock, metrics, prometheusText };
}

function sameAttributes(actual: Attributes, expected: Attributes): boolean {
  const keys = Object.keys(expected);
  return Object.keys(actual).length === keys.length && keys.every((key) => actual[key] === expected[key]);
}

export function findMetric(all: MetricData[], name: string): MetricData | undefined {
  return all.find((metric) => metric.descriptor.name === name);
}

export function point(all: MetricData[], name: string, attributes: Attributes): DataPoint<unknown> | undefined {
  const metric = findMetric(all, name);
  return (metric?.dataPoints as DataPoint<unknown>[] | undefined)?.find((p) => sameAttributes(p.attributes, attributes));
}

export function value(all: MetricData[], name: string, attributes: Attributes): number | undefined {
  return point(all, name, attributes)?.value as number | undefined;
}

export function histogram(all: MetricData[], name: string, attributes: Attributes): Histogram | undefined {
  const metric = findMetric(all, name);
  if (metric && metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
  return point(all, name, attributes)?.value as Histogram | undefined;
}

/** Per-bucket (non-cumulative) counts as a map from upper bound ('+Inf' last) to count, zeros omitted. */
export function bucketCounts(h: Histogram | undefined): Record<string, number> {
  if (!h) return {};
  const out: Record<string, number> = {};
  h.buckets.counts.forEach((count, i) => {
    if (count === 0) return;
    const bound = i < h.buckets.boundaries.length ? String(h.buckets.boundaries[i]) : '+Inf';
    out[bound] = count;
  });
  return out;
}
