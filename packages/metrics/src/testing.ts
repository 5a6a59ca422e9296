/**
 * `@ryot/metrics/testing`: assert on Ryot's metrics through the real OTel SDK. A reader the test collects by hand, a
 * manual clock, an isolated instance wired to both, and lookups of data points by name and attributes.
 */
import { diag, DiagLogLevel, type Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createRyot, type RyotApi } from './api.js';
import { parseExposition, type Exposition } from './exposition.js';
import type { RyotOptions } from './recorder.js';
import { ryotViews } from './views.js';

export interface TestReaderOptions {
  metricProducers?: MetricProducer[];
  /** Every instrument's temporality. Default 'cumulative' (what the Prometheus exporter uses). */
  temporality?: 'cumulative' | 'delta';
}

/**
 * A pull reader the test collects by hand. Cumulative by default; a delta one shows exactly what changed, or was
 * observed, since its previous collection (a cumulative reader keeps re-exporting series no longer observed).
 */
export class TestReader extends MetricReader {
  constructor({ temporality = 'cumulative', ...options }: TestReaderOptions = {}) {
    const selected = temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    super({ aggregationTemporalitySelector: () => selected, ...options });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}

  /** Every metric of one collection; rejects when a callback failed. */
  async metrics(): Promise<MetricData[]> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collect failed');
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }

  /** The attributes and value of each data point of metric `name`, in one collection. */
  async points(name: string): Promise<{ attributes: Attributes; value: unknown }[]> {
    const points = (await this.metrics()).filter((metric) => metric.descriptor.name === name).flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
    return points.map(({ attributes, value }) => ({ attributes, value }));
  }
}

/**
 * Collects what Ryot reports through the OTel diag logger (warnings and errors) until `restore()`, which removes the
 * logger again.
 */
export function captureDiagWarnings(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const record = (message: string): void => void warnings.push(message);
  const ignore = (): void => undefined;
  diag.setLogger({ error: record, warn: record, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { warnings, restore: () => diag.disable() };
}

/** A clock the test moves by hand, in milliseconds. */
export class ManualClock {
  constructor(public nowMs = 1_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/**
 * The two ways the per-request series reach a reader: Ryot's own aggregation through `ryotMetricProducer()`, or
 * the OTel instruments (a provider built without the producer). Truth tests run against both.
 */
export const AGGREGATION_PATHS = ['ryot', 'instruments'] as const;
export type AggregationPath = (typeof AGGREGATION_PATHS)[number];

export interface TestRyotOptions extends Omit<RyotOptions, 'meterProvider'> {
  /** Which path the per-request series take. Default 'ryot'. */
  aggregation?: AggregationPath;
}

export interface TestRyot {
  api: RyotApi;
  provider: MeterProvider;
  reader: TestReader;
  clock: ManualClock;
  /** Every metric of one collection. */
  metrics(): Promise<MetricData[]>;
  /** One collection as Prometheus text, without target_info and otel_scope_* labels. */
  prometheusText(): Promise<string>;
  /** One collection as Prometheus text, parsed. */
  exposition(): Promise<Exposition>;
}

export { parseExposition, Exposition } from './exposition.js';
export type { Labels, Sample } from './exposition.js';

/**
 * An isolated Ryot instance recording into its own MeterProvider (with ryotViews(), unless `withViews` is false)
 * and read by a TestReader that also collects the instance's MetricProducer, timed by a ManualClock unless
 * `options.clock` gives another (e.g. `() => performance.now()` for tests against real servers).
 */
export function createTestRyot(options: TestRyotOptions = {}, withViews = true): TestRyot {
  const { aggregation = 'ryot', ...ryotOptions } = options;
  const clock = new ManualClock();
  const api = createRyot({ clock: clock.now, ...ryotOptions });
  const reader = new TestReader(aggregation === 'ryot' ? { metricProducers: [api.metricProducer()] } : {});
  const provider = new MeterProvider({ readers: [reader], ...(withViews ? { views: ryotViews() } : {}) });
  api.configure({ meterProvider: provider });
  const prometheusText = async () => {
    const { resourceMetrics } = await reader.collect();
    return new PrometheusSerializer('', false, undefined, true, true).serialize(resourceMetrics);
  };
  return { api, provider, reader, clock, metrics: () => reader.metrics(), prometheusText, exposition: async () => parseExposition(await prometheusText()) };
}

function sameAttributes(actual: Attributes, expected: Attributes): boolean {
  const keys = Object.keys(expected);
  return Object.keys(actual).length === keys.length && keys.every((key) => actual[key] === expected[key]);
}

export function findMetric(all: MetricData[], name: string): MetricData | undefined {
  return all.find((metric) => metric.descriptor.name === name);
}

/** The data point of metric `name` whose attributes are exactly `attributes`. */
export function dataPoint(all: MetricData[], name: string, attributes: Attributes): DataPoint<unknown> | undefined {
  return (findMetric(all, name)?.dataPoints as DataPoint<unknown>[] | undefined)?.find((p) => sameAttributes(p.attributes, attributes));
}

export function value(all: MetricData[], name: string, attributes: Attributes): number | undefined {
  return dataPoint(all, name, attributes)?.value as number | undefined;
}

export function histogram(all: MetricData[], name: string, attributes: Attributes): Histogram | undefined {
  const metric = findMetric(all, name);
  if (metric && metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
  return dataPoint(all, name, attributes)?.value as Histogram | undefined;
}

/** Per-bucket (non-cumulative) counts by upper bound ('+Inf' last), zeros left out. */
export function bucketCounts(h: Histogram | undefined): Record<string, number> {
  if (!h) return {};
  const out: Record<string, number> = {};
  h.buckets.counts.forEach((count, i) => {
    if (count === 0) return;
    out[i < h.buckets.boundaries.length ? String(h.buckets.boundaries[i]) : '+Inf'] = count;
  });
  return out;
}
