import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/**
 * The Prometheus text of counters, gauges and histograms, written the way OTel's PrometheusSerializer writes them
 * (a test holds the two byte for byte), without its per-sample work: each attribute set's label text is built
 * once and kept for as long as the attribute object lives (the SDK and Ryot's producer hand out the same objects
 * collection after collection), and a histogram's `le` labels once per boundary list.
 */

/** `DataPointType` of @opentelemetry/sdk-metrics (numeric enum, identical in 2.x and 3.x). */
const HISTOGRAM = 0;
const GAUGE = 2;
const SUM = 3;

function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return escapeString(text).replace(/"/g, '\\"');
}

function sanitizeName(name: string): string {
  return name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function valueString(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

function labelText(attributes: Attributes): string {
  let text = '';
  for (const [key, value] of Object.entries(attributes)) {
    text += `${text.length > 0 ? ',' : ''}${sanitizeName(key)}="${escapeLabelValue(value)}"`;
  }
  return text;
}

/** Whether this serializer writes the metric (else OTel's serializer does). */
export function fastSerializable(metric: MetricData): boolean {
  const type = metric.dataPointType as number;
  return type === SUM || type === GAUGE || type === HISTOGRAM;
}

export class FastFamilySerializer {
  private readonly labels = new WeakMap<Attributes, string>();
  private readonly scopeLabels = new Map<string, string>();
  /** `le` label text per boundary list (by identity), one entry per bucket, `+Inf` last. */
  private readonly leLabels = new WeakMap<readonly number[], { counts: number; les: string[] }>();

  constructor(private readonly withoutScopeInfo: boolean) {}

  /** `target_info`, as OTel writes it first in the exposition. */
  targetInfo(resource: ResourceMetrics['resource']): string {
    const labels = labelText(resource.attributes);
    return `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${labels ? `{${labels}}` : ''} 1\n`;
  }

  /** One metric family (HELP, UNIT, TYPE and its samples), ending in a newline; '' for a name OTel would refuse. */
  family(metric: MetricData, scope: InstrumentationScope): string {
    let name = sanitizeName(escapeString(metric.descriptor.name));
    if (name === '' || name === '_') return '';
    if (name[0]! >= '0' && name[0]! <= '9') name = `_${name}`;
    const type = metric.dataPointType as number;
    const monotonic = type === SUM && (metric as { isMonotonic?: boolean }).isMonotonic === true;
    if (monotonic && !name.endsWith('_total')) name += '_total';
    const promType = type === HISTOGRAM ? 'histogram' : monotonic ? 'counter' : 'gauge';
    const { description, unit } = metric.descriptor;
    let text = `# HELP ${name} ${escapeString(description || 'description missing')}`;
    if (unit) text += `\n# UNIT ${name} ${escapeString(unit)}`;
    text += `\n# TYPE ${name} ${promType}\n`;
    const scopeText = this.withoutScopeInfo ? '' : this.scope(scope);
    if (type === HISTOGRAM) {
      for (const point of metric.dataPoints as { attributes: Attributes; value: HistogramPointValue }[]) text += this.histogram(name, point.attributes, point.value, scopeText);
    } else {
      for (const point of metric.dataPoints as { attributes: Attributes; value: number }[]) {
        text += `${name}${this.braces(point.attributes, scopeText)} ${valueString(point.value)}\n`;
      }
    }
    return `${text.trim()}\n`;
  }

  private histogram(name: string, attributes: Attributes, value: HistogramPointValue, scopeText: string): string {
    const labels = this.label(attributes);
    const braces = labels || scopeText ? `{${labels}${labels && scopeText ? ',' : ''}${scopeText}}` : '';
    let text = '';
    if (value.count != null) text += `${name}_count${braces} ${valueString(value.count)}\n`;
    if (value.sum != null) text += `${name}_sum${braces} ${valueString(value.sum)}\n`;
    const prefix = `${name}_bucket{${labels}${labels ? ',' : ''}${scopeText}${scopeText ? ',' : ''}`;
    const les = this.les(value.buckets.boundaries, value.buckets.counts.length);
    const counts = value.buckets.counts;
    let cumulative = 0;
    for (let i = 0; i < les.length; i++) {
      cumulative += counts[i]!;
      text += `${prefix}${les[i]}} ${valueString(cumulative)}\n`;
    }
    return text;
  }

  private braces(attributes: Attributes, scopeText: string): string {
    const labels = this.label(attributes);
    if (!labels && !scopeText) return '';
    return `{${labels}${labels && scopeText ? ',' : ''}${scopeText}}`;
  }

  private label(attributes: Attributes): string {
    let text = this.labels.get(attributes);
    if (text === undefined) {
      text = labelText(attributes);
      this.labels.set(attributes, text);
    }
    return text;
  }

  private scope(scope: InstrumentationScope): string {
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    let text = this.scopeLabels.get(key);
    if (text === undefined) {
      const labels: Attributes = { otel_scope_name: scope.name };
      if (scope.schemaUrl) labels['otel_scope_schema_url'] = scope.schemaUrl;
      if (scope.version) labels['otel_scope_version'] = scope.version;
      text = labelText(labels);
      this.scopeLabels.set(key, text);
    }
    return text;
  }

  /** The `le` labels of a bucket layout: one per count, the boundaries then `+Inf` (a trailing Infinity boundary ends it). */
  private les(boundaries: readonly number[], counts: number): string[] {
    const cached = this.leLabels.get(boundaries);
    if (cached !== undefined && cached.counts === counts) return cached.les;
    const les: string[] = [];
    for (let i = 0; i < counts; i++) {
      const bound = boundaries[i];
      les.push(`le="${bound === undefined || bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound)}"`);
      if (bound === Number.POSITIVE_INFINITY) break;
    }
    this.leLabels.set(boundaries, { counts, les });
    return les;
  }
}

interface HistogramPointValue {
  buckets: { boundaries: readonly number[]; counts: readonly number[] };
  sum?: number;
  count: number;
}
