import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type { CollectionResult, MetricData, MetricProducer, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { OwnedHistogram, type SeriesAggregates } from './aggregates.js';
import { ERROR_TYPES, METRICS, REQUEST_STATUSES, RYOT_METER_NAME, type MetricDefinition } from './catalog.js';
import type { Recorder } from './recorder.js';
import type { ModelSeries } from './series.js';
import { RYOT_VERSION } from './version.js';

/**
 * `DataPointType` and `AggregationTemporality` of @opentelemetry/sdk-metrics (numeric enums, the same in 2.x and
 * 3.x), written as literals so the SDK stays an optional peer; a test pins them to the SDK's enums.
 */
const HISTOGRAM = 0;
const GAUGE = 2;
const SUM = 3;
const DELTA = 0;
const CUMULATIVE = 1;

/**
 * The temporality a producer reports in, as the OTLP temporality preferences name them: `delta` and `lowmemory`
 * report counters and histograms as deltas since the producer's previous collection (up-down counters and gauges
 * stay cumulative, as OTel's own preferences do).
 */
export type ProducerTemporality = 'cumulative' | 'delta' | 'lowmemory';

/** Readers use their own provider's resource and ignore a producer's (sdk-metrics MetricReader.collect). */
const IGNORED_RESOURCE = {} as ResourceMetrics['resource'];

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

function descriptor(definition: MetricDefinition) {
  return {
    name: definition.name,
    description: definition.description,
    unit: definition.unit,
    valueType: definition.integer ? ValueType.INT : ValueType.DOUBLE,
  };
}

interface Point<T> {
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  value: T;
}

interface HistogramValue {
  buckets: { boundaries: number[]; counts: number[] };
  sum: number;
  count: number;
  min?: number;
  max?: number;
}

/** What a delta producer reported last for one histogram or counter. */
interface HistogramState {
  counts: Float64Array;
  sum: number;
  count: number;
}

type HistogramKey = 'timeToFirstToken' | 'interTokenLatency' | 'requestDuration' | 'tokensPerRequest' | 'requestTokensPerSecond';
const HISTOGRAMS: readonly HistogramKey[] = ['timeToFirstToken', 'interTokenLatency', 'requestDuration', 'tokensPerRequest', 'requestTokensPerSecond'];

/**
 * Hands a reader, at each collection, the metrics Ryot keeps itself: the per-token and per-request series it
 * aggregates (see aggregates.ts) and the info metrics (the OTel SDK keeps every attribute set an observable
 * instrument ever reported, so replaced info labels would stay at 1 forever; a producer reports only the current
 * sets). Same names, units, buckets, attributes and scope as the instruments they replace.
 */
export class RyotMetricProducer implements MetricProducer {
  private readonly delta: boolean;
  /** Delta only: what was reported last, per aggregate (histograms and counter arrays) and per counter field. */
  private readonly lastHistograms = new WeakMap<OwnedHistogram, HistogramState>();
  private readonly lastCounts = new WeakMap<Float64Array, Float64Array>();
  private readonly lastScalars = new WeakMap<SeriesAggregates, { tokensGenerated: number; promptTokens: number }>();
  private lastCollection: number | undefined;

  constructor(
    private readonly recorder: Recorder,
    readonly temporality: ProducerTemporality = 'cumulative',
    private readonly onCollect: () => void = () => {},
  ) {
    this.delta = temporality !== 'cumulative';
  }

  async collect(): Promise<CollectionResult> {
    this.onCollect();
    const now = Date.now();
    const endTime = hrTime(now);
    const since = this.lastCollection;
    this.lastCollection = now;
    const metrics: MetricData[] = [];
    const series = [...this.recorder.allSeries()].filter((s) => s.recordedAggregates !== undefined);
    if (series.length > 0) this.collectRequests(metrics, series, endTime, since);
    const { system, models } = this.recorder.infoThroughProducer ? this.recorder.infoSets() : { system: undefined, models: [] };
    const info = (definition: MetricDefinition, sets: Iterable<Attributes>) => {
      const dataPoints = [...sets].map((attributes) => ({ startTime: endTime, endTime, attributes, value: 1 }));
      if (dataPoints.length > 0) metrics.push({ descriptor: descriptor(definition), aggregationTemporality: CUMULATIVE, dataPointType: GAUGE, dataPoints } as MetricData);
    };
    info(METRICS.systemInfo, system ? [system] : []);
    info(METRICS.modelInfo, models);
    return {
      resourceMetrics: { resource: IGNORED_RESOURCE, scopeMetrics: [{ scope: { name: RYOT_METER_NAME, version: RYOT_VERSION }, metrics }] },
      errors: [],
    };
  }

  private collectRequests(metrics: MetricData[], series: ModelSeries[], endTime: HrTime, since: number | undefined): void {
    const temporality = this.delta ? DELTA : CUMULATIVE;
    const start = (aggregates: SeriesAggregates) => hrTime(this.delta && since !== undefined ? Math.max(since, aggregates.createdAt) : aggregates.createdAt);
    const sum = (definition: MetricDefinition, monotonic: boolean, points: Point<number>[]) => {
      if (points.length === 0) return;
      metrics.push({
        descriptor: descriptor(definition),
        aggregationTemporality: monotonic ? temporality : CUMULATIVE,
        dataPointType: SUM,
        isMonotonic: monotonic,
        dataPoints: points,
      } as MetricData);
    };

    const requests: Point<number>[] = [];
    const errors: Point<number>[] = [];
    const inFlight: Point<number>[] = [];
    const tokens: Point<number>[] = [];
    const prompt: Point<number>[] = [];
    for (const s of series) {
      const aggregates = s.aggregates;
      const startTime = start(aggregates);
      this.counterPoints(requests, aggregates.requests, REQUEST_STATUSES, (status) => s.statusAttributes(status), startTime, endTime);
      this.counterPoints(errors, aggregates.errors, ERROR_TYPES, (type) => s.errorAttributes(type), startTime, endTime);
      inFlight.push({ startTime: hrTime(aggregates.createdAt), endTime, attributes: s.attributes, value: aggregates.inFlight });
      const last = this.delta ? (this.lastScalars.get(aggregates) ?? { tokensGenerated: 0, promptTokens: 0 }) : undefined;
      const generated = aggregates.tokensGenerated - (last?.tokensGenerated ?? 0);
      if (aggregates.tokensGenerated > 0 && (!last || generated > 0)) tokens.push({ startTime, endTime, attributes: s.attributes, value: generated });
      const prompted = aggregates.promptTokens - (last?.promptTokens ?? 0);
      if (aggregates.promptTokensSeen && (!last || prompted > 0)) prompt.push({ startTime, endTime, attributes: s.attributes, value: prompted });
      if (last) this.lastScalars.set(aggregates, { tokensGenerated: aggregates.tokensGenerated, promptTokens: aggregates.promptTokens });
    }
    sum(METRICS.requests, true, requests);
    for (const key of HISTOGRAMS) {
      const points: Point<HistogramValue>[] = [];
      for (const s of series) this.histogramPoint(points, s.aggregates[key], s.attributes, start(s.aggregates), endTime);
      if (points.length > 0) {
        metrics.push({ descriptor: descriptor(METRICS[key]), aggregationTemporality: temporality, dataPointType: HISTOGRAM, dataPoints: points } as MetricData);
      }
    }
    sum(METRICS.requestsInFlight, false, inFlight);
    sum(METRICS.tokensGenerated, true, tokens);
    sum(METRICS.promptTokens, true, prompt);
    sum(METRICS.errors, true, errors);
  }

  /** One point per non-zero entry of a counter array (per status, per error type), as deltas when asked. */
  private counterPoints<K extends string>(
    points: Point<number>[],
    counts: Float64Array,
    keys: readonly K[],
    attributes: (key: K) => Attributes,
    startTime: HrTime,
    endTime: HrTime,
  ): void {
    const last = this.delta ? this.lastCounts.get(counts) : undefined;
    for (let i = 0; i < keys.length; i++) {
      const total = counts[i]!;
      if (total === 0) continue;
      const value = total - (last?.[i] ?? 0);
      if (this.delta && value === 0) continue;
      points.push({ startTime, endTime, attributes: attributes(keys[i]!), value });
    }
    if (this.delta) this.lastCounts.set(counts, counts.slice());
  }

  private histogramPoint(points: Point<HistogramValue>[], histogram: OwnedHistogram, attributes: Attributes, startTime: HrTime, endTime: HrTime): void {
    if (histogram.count === 0) return;
    // The same array at every collection: serializers may cache per boundary list.
    const boundaries = histogram.boundaries as number[];
    if (!this.delta) {
      points.push({
        startTime,
        endTime,
        attributes,
        value: { buckets: { boundaries, counts: Array.from(histogram.counts) }, sum: histogram.sum, count: histogram.count, min: histogram.min, max: histogram.max },
      });
      return;
    }
    const last = this.lastHistograms.get(histogram);
    const count = histogram.count - (last?.count ?? 0);
    this.lastHistograms.set(histogram, { counts: histogram.counts.slice(), sum: histogram.sum, count: histogram.count });
    if (count === 0) return;
    const counts = Array.from(histogram.counts, (value, i) => value - (last?.counts[i] ?? 0));
    // An interval's min and max are not kept per reader: a delta point carries none (OTel marks them optional).
    points.push({ startTime, endTime, attributes, value: { buckets: { boundaries, counts }, sum: histogram.sum - (last?.sum ?? 0), count } });
  }
}
