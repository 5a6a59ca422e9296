import { diag, type Attributes, type HrTime } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { ALL_METRICS, clusterMergeOf, type ClusterMerge } from '@ryot/metrics/instrumentation';
import { canonicalAttributes, sameBoundaries } from './codec.js';

/** The attribute that keeps a worker's series apart under the `per_worker` rule (`service_instance_id` in Prometheus). */
export const INSTANCE_ATTRIBUTE = 'service.instance.id';

/** One process's collected metrics, as the primary merges them. */
export interface MergeSource {
  /** Its `service.instance.id`, the label of its series under the `per_worker` rule. */
  readonly instanceId: string;
  readonly scopeMetrics: readonly ScopeMetrics[];
}

interface HistogramValue {
  buckets: { boundaries: number[]; counts: number[] };
  sum?: number;
  count: number;
  min?: number;
  max?: number;
}

interface MergedPoint {
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  value: unknown;
}

interface MergedMetric {
  readonly first: MetricData;
  readonly rule: ClusterMerge;
  readonly points: Map<string, MergedPoint>;
}

const RULES = new Map(ALL_METRICS.map((definition) => [definition.name, clusterMergeOf(definition)]));

/** The catalog's rule for a Ryot metric; for any other, the catalog's default for its kind. */
export function mergeRuleOf(metric: MetricData): ClusterMerge {
  const declared = RULES.get(metric.descriptor.name);
  if (declared !== undefined) return declared;
  return metric.dataPointType === DataPointType.GAUGE ? 'per_worker' : 'sum';
}

/** Whether a metric only grows while its process lives: what an exited worker leaves in the merged totals. */
export function isMonotonic(metric: MetricData): boolean {
  return (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) || metric.dataPointType === DataPointType.HISTOGRAM;
}

const keys = new WeakMap<Attributes, string>();

/** A key equal for equal attribute sets, whatever their key order; computed once per attribute object. */
function attributesKey(attributes: Attributes): string {
  let key = keys.get(attributes);
  if (key === undefined) {
    key = canonicalAttributes(attributes);
    keys.set(attributes, key);
  }
  return key;
}

function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;
}

function later(a: HrTime, b: HrTime): HrTime {
  return earlier(a, b) === a ? b : a;
}

function copyHistogram(value: HistogramValue): HistogramValue {
  return { ...value, buckets: { boundaries: value.buckets.boundaries, counts: [...value.buckets.counts] } };
}

/** Adds `value` into `into` (same boundaries); false when the layouts differ. */
function addHistogram(into: HistogramValue, value: HistogramValue): boolean {
  if (!sameBoundaries(into.buckets.boundaries, value.buckets.boundaries) || into.buckets.counts.length !== value.buckets.counts.length) return false;
  const counts = into.buckets.counts;
  for (let i = 0; i < counts.length; i++) counts[i]! += value.buckets.counts[i]!;
  into.count += value.count;
  if (into.sum !== undefined || value.sum !== undefined) into.sum = (into.sum ?? 0) + (value.sum ?? 0);
  if (value.min !== undefined) into.min = into.min === undefined ? value.min : Math.min(into.min, value.min);
  if (value.max !== undefined) into.max = into.max === undefined ? value.max : Math.max(into.max, value.max);
  return true;
}

/**
 * Keeps one attribute object per attribute set across merges, so a serializer that caches label text per attribute
 * object (fast-serializer.ts) hits its cache scrape after scrape although workers' sets arrive as fresh objects.
 * Sets unused for one whole merge are forgotten.
 */
export class AttributeInterner {
  private current = new Map<string, Attributes>();
  private previous = new Map<string, Attributes>();

  intern(key: string, make: () => Attributes): Attributes {
    let attributes = this.current.get(key);
    if (attributes !== undefined) return attributes;
    attributes = this.previous.get(key) ?? make();
    this.current.set(key, attributes);
    return attributes;
  }

  /** Ends one merge: what it did not use is dropped at the end of the next. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

let warnedConflict = false;

/**
 * Merges the metrics of several processes into one set, metric by metric (matched by scope and name) and attribute
 * set by attribute set, by each metric's cluster rule: `sum` adds values (histograms: bucket counts, count and sum;
 * min and max of both), `max` keeps the largest, `per_worker` keeps every source's points with its instance id
 * added. A histogram whose buckets differ from the others', and any exponential histogram, is kept per worker.
 * Sources are read, never modified; the order of scopes and metrics is that of their first appearance.
 */
export function mergeSources(
  sources: readonly MergeSource[],
  options: { ruleOf?: (metric: MetricData) => ClusterMerge; interner?: AttributeInterner } = {},
): ScopeMetrics[] {
  const ruleOf = options.ruleOf ?? mergeRuleOf;
  const interner = options.interner ?? new AttributeInterner();
  const scopes = new Map<string, { scope: ScopeMetrics['scope']; metrics: Map<string, MergedMetric> }>();

  for (const source of sources) {
    for (const { scope, metrics } of source.scopeMetrics) {
      const scopeKey = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
      let merged = scopes.get(scopeKey);
      if (!merged) {
        merged = { scope, metrics: new Map() };
        scopes.set(scopeKey, merged);
      }
      for (const metric of metrics) {
        let target = merged.metrics.get(metric.descriptor.name);
        if (!target) {
          target = { first: metric, rule: ruleOf(metric), points: new Map() };
          merged.metrics.set(metric.descriptor.name, target);
        } else if (target.first.dataPointType !== metric.dataPointType) {
          if (!warnedConflict) {
            warnedConflict = true;
            diag.warn(`@ryot/exporters: cluster workers report ${metric.descriptor.name} with different types; ${source.instanceId}'s is left out`);
          }
          continue;
        }
        addPoints(target, metric, source.instanceId, interner);
      }
    }
  }
  interner.rotate();

  return [...scopes.values()].map(({ scope, metrics }) => ({
    scope,
    metrics: [...metrics.values()].map(({ first, points }) => ({ ...first, dataPoints: [...points.values()] }) as MetricData),
  }));
}

function addPoints(target: MergedMetric, metric: MetricData, instanceId: string, interner: AttributeInterner): void {
  const histogram = metric.dataPointType === DataPointType.HISTOGRAM;
  const combinable = metric.dataPointType !== DataPointType.EXPONENTIAL_HISTOGRAM && !(histogram && target.rule === 'max');
  for (const point of metric.dataPoints as { startTime: HrTime; endTime: HrTime; attributes: Attributes; value: unknown }[]) {
    const key = attributesKey(point.attributes);
    if (target.rule !== 'per_worker' && combinable) {
      const existing = target.points.get(key);
      if (existing === undefined) {
        target.points.set(key, {
          startTime: point.startTime,
          endTime: point.endTime,
          attributes: interner.intern(key, () => point.attributes),
          value: histogram ? copyHistogram(point.value as HistogramValue) : point.value,
        });
        continue;
      }
      let combined = true;
      if (histogram) combined = addHistogram(existing.value as HistogramValue, point.value as HistogramValue);
      else if (target.rule === 'max') existing.value = Math.max(existing.value as number, point.value as number);
      else existing.value = (existing.value as number) + (point.value as number);
      if (combined) {
        existing.startTime = earlier(existing.startTime, point.startTime);
        existing.endTime = later(existing.endTime, point.endTime);
        continue;
      }
    }
    // Kept apart, under the source's instance id.
    const ownKey = `${key}\u0000${instanceId}`;
    target.points.set(ownKey, {
      startTime: point.startTime,
      endTime: point.endTime,
      attributes: interner.intern(ownKey, () => ({ ...point.attributes, [INSTANCE_ATTRIBUTE]: instanceId })),
      value: point.value,
    });
  }
}
