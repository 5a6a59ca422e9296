import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type { CollectionResult, MetricData, MetricProducer, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { CACHE_HITS, CACHE_LOOKUPS, CACHE_RECORDS, OWNED_HISTOGRAMS, OwnedHistogram, type CounterAggregates, type SeriesAggregates } from './aggregates.js';
import { ERROR_TYPES, FINISH_REASONS, METRICS, REQUEST_STATUSES, RYOT_METER_NAME, SLO_NAMES, TOKEN_TYPES, type MetricDefinition } from './catalog.js';
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

/** A series' engine counters: batches (the batch-size histogram's count), cache lookups and hits, lookup records. */
interface EngineCounts {
  batches: number;
  lookups: number;
  hits: number;
  records: number;
}

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
  private readonly lastScalars = new WeakMap<CounterAggregates, { tokensGenerated: number; promptTokens: number }>();
  private readonly lastEngine = new WeakMap<SeriesAggregates, EngineCounts>();
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
    const finished: Point<number>[] = [];
    const errors: Point<number>[] = [];
    const inFlight: Point<number>[] = [];
    const tokens: Point<number>[] = [];
    const prompt: Point<number>[] = [];
    const goodput: Point<number>[] = [];
    const cost: Point<number>[] = [];
    const batches: Point<number>[] = [];
    const lookups: Point<number>[] = [];
    const hits: Point<number>[] = [];
    for (const s of series) {
      const aggregates = s.aggregates;
      const startTime = start(aggregates);
      this.counterPoints(finished, aggregates.finished, FINISH_REASONS.length, (i) => s.finishReasonAttributes(i), startTime, endTime);
      this.counterPoints(errors, aggregates.errors, ERROR_TYPES.length, (i) => s.errorAttributes(ERROR_TYPES[i]!), startTime, endTime);
      if (aggregates.requestStarted) inFlight.push({ startTime: hrTime(aggregates.createdAt), endTime, attributes: s.attributes, value: aggregates.inFlight });
      const engine = this.engineCounts(aggregates);
      if (engine.batches > 0) batches.push({ startTime, endTime, attributes: s.attributes, value: engine.batches });
      if (engine.records > 0) {
        lookups.push({ startTime, endTime, attributes: s.attributes, value: engine.lookups });
        hits.push({ startTime, endTime, attributes: s.attributes, value: engine.hits });
      }
      for (const c of s.counterSeries()) {
        const counts = c.recordedAggregates;
        if (counts === undefined) continue;
        this.counterPoints(requests, counts.requests, REQUEST_STATUSES.length, (i) => c.statusAttributes(REQUEST_STATUSES[i]!), startTime, endTime);
        this.counterPoints(goodput, counts.goodput, SLO_NAMES.length * 2, (i) => c.goodputAttributes(i), startTime, endTime);
        this.counterPoints(cost, counts.cost, TOKEN_TYPES.length, (i) => c.costAttributes(i), startTime, endTime);
        const last = this.delta ? (this.lastScalars.get(counts) ?? { tokensGenerated: 0, promptTokens: 0 }) : undefined;
        const generated = counts.tokensGenerated - (last?.tokensGenerated ?? 0);
        if (counts.tokensGenerated > 0 && (!last || generated > 0)) tokens.push({ startTime, endTime, attributes: c.attributes, value: generated });
        const prompted = counts.promptTokens - (last?.promptTokens ?? 0);
        if (counts.promptTokensSeen && (!last || prompted > 0)) prompt.push({ startTime, endTime, attributes: c.attributes, value: prompted });
        if (last) this.lastScalars.set(counts, { tokensGenerated: counts.tokensGenerated, promptTokens: counts.promptTokens });
      }
    }
    sum(METRICS.requests, true, requests);
    sum(METRICS.finished, true, finished);
    for (const key of OWNED_HISTOGRAMS) {
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
    sum(METRICS.goodput, true, goodput);
    sum(METRICS.cost, true, cost);
    sum(METRICS.batchesProcessed, true, batches);
    sum(METRICS.cacheLookups, true, lookups);
    sum(METRICS.cacheHits, true, hits);
  }

  /** The engine counters to report: totals, or for a delta reader what changed since its previous collection. */
  private engineCounts(aggregates: SeriesAggregates): EngineCounts {
    const { cache } = aggregates;
    const now: EngineCounts = { batches: aggregates.batchSize.count, lookups: cache[CACHE_LOOKUPS]!, hits: cache[CACHE_HITS]!, records: cache[CACHE_RECORDS]! };
    if (!this.delta) return now;
    const last = this.lastEngine.get(aggregates);
    this.lastEngine.set(aggregates, now);
    if (last === undefined) return now;
    return { batches: now.batches - last.batches, lookups: now.lookups - last.lookups, hits: now.hits - last.hits, records: now.records - last.records };
  }

  /** One point per non-zero entry of a counter array (per status, per error type, …), as deltas when asked. */
  private counterPoints(points: Point<number>[], counts: Float64Array, length: number, attributes: (index: number) => Attributes, startTime: HrTime, endTime: HrTime): void {
    const last = this.delta ? this.lastCounts.get(counts) : undefined;
    for (let i = 0; i < length; i++) {
      const total = counts[i]!;
      if (total === 0) continue;
      const value = total - (last?.[i] ?? 0);
      if (this.delta && value === 0) continue;
      points.push({ startTime, endTime, attributes: attributes(i), value });
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
