/** What tests that start telemetry share: the two aggregation paths, and model labels unique to a test. */
import { AGGREGATION_PATHS, type AggregationPath } from '@ryot/metrics/testing';

export { AGGREGATION_PATHS, type AggregationPath };

/** startTelemetry's option for a path. */
export function aggregationOption(path: AggregationPath): { ryotAggregation: boolean } {
  return { ryotAggregation: path === 'ryot' };
}

let counter = 0;

/**
 * A model label no earlier test in this process used. The default instance's own aggregation counts for the life
 * of the process, across telemetry restarts (its cumulative points start when the series did), so a test that
 * expects exact totals records under a label of its own.
 */
export function uniqueModel(prefix: string): string {
  return `${prefix}-${++counter}`;
}
