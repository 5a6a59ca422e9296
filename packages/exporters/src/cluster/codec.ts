import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import { DataPointType, type AggregationTemporality, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';

/**
 * The compact, JSON-safe form in which a worker hands its collected metrics to the primary over the cluster IPC
 * channel (Node's default `json` serialization, or `advanced`). Attribute sets travel once, in a table that points
 * refer to by index; a metric's points are one flat array; a histogram's boundaries travel once per metric.
 * Per-point start and end times are not kept (each metric carries its earliest start and latest end): the
 * Prometheus text exposition the primary serves has no use for them.
 */
export interface WireSnapshot {
  readonly v: 1;
  /** Attribute sets, referenced by index from the points. */
  readonly a: Attributes[];
  readonly s: WireScope[];
}

export interface WireScope {
  readonly n: string;
  readonly v?: string;
  readonly u?: string;
  readonly m: WireMetric[];
}

/** A number JSON can carry: non-finite values travel as their String() (`NaN`, `Infinity`, `-Infinity`). */
type WireNumber = number | string;

export interface WireMetric {
  /** Descriptor: name, description, unit, value type. */
  readonly n: string;
  readonly d: string;
  readonly u: string;
  readonly vt: ValueType;
  /** DataPointType and AggregationTemporality (numeric enums of sdk-metrics). */
  readonly t: DataPointType;
  readonly tm: AggregationTemporality;
  /** 1 for a monotonic sum. */
  readonly mo?: 1;
  /** Earliest start and latest end of its points, in ms since the epoch. */
  readonly st: number;
  readonly et: number;
  /** Histograms: the bucket boundaries shared by every point. */
  readonly b?: number[];
  /**
   * Sums and gauges: `[attributes, value]` per point. Histograms: `[attributes, count, sum, min, max, ...counts]`,
   * `counts` one longer than `b`, a missing sum/min/max as null. Anything else: `[attributes, value object]`.
   */
  readonly p: unknown[];
}

function wireNumber(value: number): WireNumber {
  return Number.isFinite(value) ? value : String(value);
}

function fromWire(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function optionalFromWire(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : fromWire(value);
}

function toMs(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

function toHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Encodes collected metrics for the IPC channel. Points of one histogram with different boundaries keep theirs. */
export function encodeSnapshot(scopeMetrics: readonly ScopeMetrics[]): WireSnapshot {
  const table: Attributes[] = [];
  const indexOf = new Map<Attributes, number>();
  const attributeIndex = (attributes: Attributes): number => {
    let index = indexOf.get(attributes);
    if (index === undefined) {
      index = table.length;
      table.push(attributes);
      indexOf.set(attributes, index);
    }
    return index;
  };
  const scopes: WireScope[] = [];
  for (const { scope, metrics } of scopeMetrics) {
    const encoded: WireMetric[] = [];
    for (const metric of metrics) encoded.push(...encodeMetric(metric, attributeIndex));
    scopes.push({ n: scope.name, ...(scope.version ? { v: scope.version } : {}), ...(scope.schemaUrl ? { u: scope.schemaUrl } : {}), m: encoded });
  }
  return { v: 1, a: table, s: scopes };
}

function encodeMetric(metric: MetricData, attributeIndex: (attributes: Attributes) => number): WireMetric[] {
  let start = Infinity;
  let end = -Infinity;
  for (const point of metric.dataPoints) {
    start = Math.min(start, toMs(point.startTime));
    end = Math.max(end, toMs(point.endTime));
  }
  const base = {
    n: metric.descriptor.name,
    d: metric.descriptor.description,
    u: metric.descriptor.unit,
    vt: metric.descriptor.valueType,
    t: metric.dataPointType,
    tm: metric.aggregationTemporality,
    ...(metric.dataPointType === DataPointType.SUM && metric.isMonotonic ? { mo: 1 as const } : {}),
    st: Number.isFinite(start) ? start : 0,
    et: Number.isFinite(end) ? end : 0,
  };
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    const points: unknown[] = [];
    for (const point of metric.dataPoints) points.push(attributeIndex(point.attributes), wireNumber(point.value));
    return [{ ...base, p: points }];
  }
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    // One wire metric per boundary list (in practice one: a view fixes them).
    const byBoundaries: { b: number[]; p: unknown[] }[] = [];
    for (const point of metric.dataPoints) {
      const { buckets, count, sum, min, max } = point.value;
      let group = byBoundaries.find((candidate) => sameNumbers(candidate.b, buckets.boundaries));
      if (!group) {
        group = { b: [...buckets.boundaries], p: [] };
        byBoundaries.push(group);
      }
      group.p.push(attributeIndex(point.attributes), count, sum === undefined ? null : wireNumber(sum), min === undefined ? null : wireNumber(min), max === undefined ? null : wireNumber(max));
      for (const bucket of buckets.counts) group.p.push(bucket);
    }
    return byBoundaries.map((group) => ({ ...base, b: group.b, p: group.p }));
  }
  const points: unknown[] = [];
  for (const point of metric.dataPoints) points.push(attributeIndex(point.attributes), point.value);
  return [{ ...base, p: points }];
}

/** The metrics a snapshot carries, as sdk-metrics MetricData (every point with its metric's start and end time). */
export function decodeSnapshot(snapshot: WireSnapshot): ScopeMetrics[] {
  if (snapshot.v !== 1) throw new Error(`unknown cluster snapshot version ${String(snapshot.v)}`);
  const table = snapshot.a;
  const attributesAt = (index: unknown): Attributes => {
    const attributes = table[index as number];
    if (attributes === undefined) throw new Error(`cluster snapshot refers to attribute set ${String(index)} of ${table.length}`);
    return attributes;
  };
  return snapshot.s.map((scope) => ({
    scope: { name: scope.n, ...(scope.v !== undefined ? { version: scope.v } : {}), ...(scope.u !== undefined ? { schemaUrl: scope.u } : {}) },
    metrics: scope.m.map((metric) => decodeMetric(metric, attributesAt)),
  }));
}

function decodeMetric(metric: WireMetric, attributesAt: (index: unknown) => Attributes): MetricData {
  const startTime = toHrTime(metric.st);
  const endTime = toHrTime(metric.et);
  const descriptor = { name: metric.n, description: metric.d, unit: metric.u, valueType: metric.vt };
  const p = metric.p;
  if (metric.t === DataPointType.SUM || metric.t === DataPointType.GAUGE) {
    const dataPoints = [];
    for (let i = 0; i < p.length; i += 2) dataPoints.push({ startTime, endTime, attributes: attributesAt(p[i]), value: fromWire(p[i + 1]) });
    return metric.t === DataPointType.SUM
      ? { descriptor, aggregationTemporality: metric.tm, dataPointType: DataPointType.SUM, isMonotonic: metric.mo === 1, dataPoints }
      : { descriptor, aggregationTemporality: metric.tm, dataPointType: DataPointType.GAUGE, dataPoints };
  }
  if (metric.t === DataPointType.HISTOGRAM) {
    const boundaries = metric.b ?? [];
    const stride = 5 + boundaries.length + 1;
    const dataPoints = [];
    for (let i = 0; i + stride <= p.length; i += stride) {
      const sum = optionalFromWire(p[i + 2]);
      const min = optionalFromWire(p[i + 3]);
      const max = optionalFromWire(p[i + 4]);
      dataPoints.push({
        startTime,
        endTime,
        attributes: attributesAt(p[i]),
        value: {
          buckets: { boundaries, counts: (p.slice(i + 5, i + stride) as number[]).map(fromWire) },
          count: fromWire(p[i + 1]),
          ...(sum !== undefined ? { sum } : {}),
          ...(min !== undefined ? { min } : {}),
          ...(max !== undefined ? { max } : {}),
        },
      });
    }
    return { descriptor, aggregationTemporality: metric.tm, dataPointType: DataPointType.HISTOGRAM, dataPoints };
  }
  const dataPoints = [];
  for (let i = 0; i < p.length; i += 2) dataPoints.push({ startTime, endTime, attributes: attributesAt(p[i]), value: p[i + 1] });
  return { descriptor, aggregationTemporality: metric.tm, dataPointType: metric.t, dataPoints } as MetricData;
}
