import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { ALL_METRICS, meterNameOf, type MetricDefinition } from './catalog.js';

/**
 * `AggregationType.EXPLICIT_BUCKET_HISTOGRAM` and `AggregationType.DEFAULT` from
 * @opentelemetry/sdk-metrics (a numeric enum, identical in 2.x and 3.x). Written as
 * literals so @ryot/metrics needs the SDK only as a type; a test pins them to the SDK's enum.
 */
const EXPLICIT_BUCKET_HISTOGRAM = 4;
const DEFAULT_AGGREGATION = 0;

export interface RyotViewsOptions {
  /**
   * Which meter every view selects. Default: the meter that records each metric (`@ryot/metrics`, `@ryot/nvml`);
   * the gen_ai.client.* views select their instrument names under any meter, since each client integration records
   * under its own.
   */
  meterName?: string;
  /** Per-stream cardinality limit (OTel's aggregationCardinalityLimit). Default: the SDK default (2000). */
  cardinalityLimit?: number;
  /** Metric definitions to build views for. Default: the whole Ryot catalog. */
  definitions?: readonly MetricDefinition[];
}

/**
 * OTel View options for every Ryot instrument: explicit bucket boundaries for each
 * histogram (an aggregation without `options` would fall back to the SDK's ms-oriented
 * defaults), and one View per instrument so every reader shares one storage instead of
 * hashing each record once per reader.
 */
export function ryotViews(options: RyotViewsOptions = {}): ViewOptions[] {
  const definitions = options.definitions ?? ALL_METRICS;
  return definitions.map((definition) => {
    const meterName = options.meterName ?? meterNameOf(definition.group);
    const view = {
      instrumentName: definition.name,
      ...(meterName !== undefined ? { meterName } : {}),
      aggregation: definition.buckets
        ? { type: EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...definition.buckets], recordMinMax: true } }
        : { type: DEFAULT_AGGREGATION },
      ...(options.cardinalityLimit !== undefined ? { aggregationCardinalityLimit: options.cardinalityLimit } : {}),
    };
    return view as ViewOptions;
  });
}
