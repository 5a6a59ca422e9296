import type { Attributes, ValueType } from '@opentelemetry/api';
import { hrTimeToMilliseconds, millisToHrTime } from '@opentelemetry/core';
import { DataPointType, type AggregationTemporality, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';

/**
 * The compact, JSON-safe form in which a worker hands its collected metrics to the primary over the cluster IPC
 * channel (Node's default `json` serialization, or `advanced`). Attribute sets travel in a table that points refer
 * to by index, and each set travels once per worker: a snapshot carries only the sets added since the previous one
 * (the primary keeps each worker's table; attribute sets dominate the size, and keeping them also keeps their
 * objects, so the primary's per-object caches hit). A metric's points are one flat array; a histogram's boundaries
 * travel once per metric. Per-point start and end times are not kept (each metric carries its earliest start and
 * latest end): the Prometheus text exposition the primary serves has no use for them.
 */
export interface WireSnapshot {
  readonly v: 1;
  /** The index of the first entry of `a`: the size of the table the receiver must already hold (0: a whole table). */
  readonly t: number;
  /** Attribute sets added to the table, referenced by index from the points. */
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

/** Whether two histograms' bucket boundaries are the same (usually the same array: a view fixes them). */
export function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A canonical key of an attribute set: equal for equal sets, whatever their key order. */
export function canonicalAttributes(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((name) => [name, attributes[name]]));
}

/**
 * Attribute sets the encoder's table may hold beyond twice what one snapshot uses before it starts over: sets that
 * left the collection (a replaced info label, a rotated tenant) would otherwise stay in both tables for good.
 */
const TABLE_FLOOR = 1024;

/**
 * A worker's encoder: it remembers which attribute sets it already sent, and sends each set once. When the table
 * holds more than twice the sets the current snapshot uses (and more than TABLE_FLOOR), it starts over and that
 * snapshot carries a whole table, so both ends hold at most about twice what the collection uses.
 */
export class SnapshotEncoder {
  private byObject = new WeakMap<Attributes, number>();
  private byKey = new Map<string, number>();

  /** Forgets every set sent: the next snapshot carries the whole table (the primary asks when it lost track). */
  reset(): void {
    this.byObject = new WeakMap();
    this.byKey = new Map();
  }

  /** The attribute sets the table holds (the primary's copy holds as many). */
  get tableSize(): number {
    return this.byKey.size;
  }

  encode(scopeMetrics: readonly ScopeMetrics[]): WireSnapshot {
    const { snapshot, used } = this.encodeOnce(scopeMetrics);
    const size = this.byKey.size;
    if (size <= TABLE_FLOOR || size <= 2 * used) return snapshot;
    this.reset();
    return this.encodeOnce(scopeMetrics).snapshot;
  }

  private encodeOnce(scopeMetrics: readonly ScopeMetrics[]): { snapshot: WireSnapshot; used: number } {
    const base = this.byKey.size;
    const added: Attributes[] = [];
    const used = new Set<number>();
    const attributeIndex = (attributes: Attributes): number => {
      let index = this.byObject.get(attributes);
      if (index === undefined) {
        const key = canonicalAttributes(attributes);
        index = this.byKey.get(key);
        if (index === undefined) {
          index = this.byKey.size;
          this.byKey.set(key, index);
          added.push(attributes);
        }
        this.byObject.set(attributes, index);
      }
      used.add(index);
      return index;
    };
    const scopes: WireScope[] = [];
    for (const { scope, metrics } of scopeMetrics) {
      const encoded: WireMetric[] = [];
      for (const metric of metrics) encoded.push(...encodeMetric(metric, attributeIndex));
      scopes.push({ n: scope.name, ...(scope.version ? { v: scope.version } : {}), ...(scope.schemaUrl ? { u: scope.schemaUrl } : {}), m: encoded });
    }
    return { snapshot: { v: 1, t: base, a: added, s: scopes }, used: used.size };
  }
}

/** Thrown when a snapshot builds on a table the decoder does not hold: ask for a whole table. */
export class SnapshotTableError extends Error {
  override readonly name = 'SnapshotTableError';
}

/** The primary's decoder for one worker: it keeps the worker's attribute table from snapshot to snapshot. */
export class SnapshotDecoder {
  private table: Attributes[] = [];

  /** The metrics a snapshot carries, as sdk-metrics MetricData (every point with its metric's start and end time). */
  decode(snapshot: WireSnapshot): ScopeMetrics[] {
    if (snapshot.v !== 1) throw new Error(`unknown cluster snapshot version ${String(snapshot.v)}`);
    if (snapshot.t === 0) this.table = [];
    if (snapshot.t !== this.table.length) {
      throw new SnapshotTableError(`snapshot builds on ${snapshot.t} attribute sets, ${this.table.length} held`);
    }
    // Checked before the table grows, so a bad snapshot leaves it as it was.
    const table = this.table.concat(snapshot.a);
    const attributesAt = (index: unknown): Attributes => {
      const attributes = table[index as number];
      if (attributes === undefined) throw new Error(`cluster snapshot refers to attribute set ${String(index)} of ${table.length}`);
      return attributes;
    };
    const decoded = snapshot.s.map((scope) => ({
      scope: { name: scope.n, ...(scope.v !== undefined ? { version: scope.v } : {}), ...(scope.u !== undefined ? { schemaUrl: scope.u } : {}) },
      metrics: scope.m.map((metric) => decodeMetric(metric, attributesAt)),
    }));
    this.table = table;
    return decoded;
  }
}

/** One snapshot with a table of its own (what a fresh encoder sends). */
export function encodeSnapshot(scopeMetrics: readonly ScopeMetrics[]): WireSnapshot {
  return new SnapshotEncoder().encode(scopeMetrics);
}

/** One snapshot that carries its whole table. */
export function decodeSnapshot(snapshot: WireSnapshot): ScopeMetrics[] {
  return new SnapshotDecoder().decode(snapshot);
}

function encodeMetric(metric: MetricData, attributeIndex: (attributes: Attributes) => number): WireMetric[] {
  let start = Infinity;
  let end = -Infinity;
  for (const point of metric.dataPoints) {
    start = Math.min(start, hrTimeToMilliseconds(point.startTime));
    end = Math.max(end, hrTimeToMilliseconds(point.endTime));
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
    const byBoundaries: { src: readonly number[]; b: number[]; p: unknown[] }[] = [];
    for (const point of metric.dataPoints) {
      const { buckets, count, sum, min, max } = point.value;
      let group = byBoundaries.find((candidate) => sameBoundaries(candidate.src, buckets.boundaries));
      if (!group) {
        group = { src: buckets.boundaries, b: [...buckets.boundaries], p: [] };
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

function decodeMetric(metric: WireMetric, attributesAt: (index: unknown) => Attributes): MetricData {
  const startTime = millisToHrTime(metric.st);
  const endTime = millisToHrTime(metric.et);
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
