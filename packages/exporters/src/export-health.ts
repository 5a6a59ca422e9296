import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The outcome of one finished OTLP export (retries included). */
export interface ExportOutcome {
  /** Whether the collector accepted it. */
  readonly ok: boolean;
  /** Date.now() when it finished. */
  readonly at: number;
  /** Data points it carried. */
  readonly dataPoints: number;
  /** The exporter's error message when it failed (at most 300 characters). */
  readonly error: string | undefined;
  /** Failed exports in a row, this one included; 0 after a success. */
  readonly consecutiveFailures: number;
}

/** What the handle says about the OTLP push. */
export interface OtlpHealth {
  /** Where exports are posted. */
  readonly url: string;
  /** The last finished export; undefined before the first one. */
  readonly lastExport: ExportOutcome | undefined;
}

export type HealthReport = (level: 'error' | 'info', message: string) => void;

const MAX_ERROR_CHARS = 300;

/**
 * Whether anyone registered an OTel diag logger. The API has no getter; it keeps the
 * logger in its versioned global registry (the same slot every copy of @opentelemetry/api
 * 1.x shares), which is read here and never written.
 */
export function diagLoggerRegistered(): boolean {
  const registry: unknown = (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')];
  return typeof registry === 'object' && registry !== null && (registry as Record<string, unknown>)['diag'] !== undefined;
}

/** Through diag, and as one stderr line when nobody set a diag logger (else the report would vanish). */
export const reportThroughDiagOrStderr: HealthReport = (level, message) => {
  if (level === 'error') diag.error(message);
  else diag.info(message);
  if (!diagLoggerRegistered()) process.stderr.write(`${message}\n`);
};

function countDataPoints(metrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) count += metric.dataPoints.length;
  return count;
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error ?? 'unknown error');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/**
 * Wraps an OTel push exporter to watch its results: the first failure of an outage and the
 * recovery are each reported once, and the last outcome is kept for the handle. Exporting,
 * retrying and timing out stay the wrapped exporter's business.
 */
export class ObservedMetricExporter implements PushMetricExporter, OtlpHealth {
  readonly selectAggregationTemporality?: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation?: PushMetricExporter['selectAggregation'];
  private last: ExportOutcome | undefined;

  constructor(
    private readonly inner: PushMetricExporter,
    readonly url: string,
    private readonly report: HealthReport = reportThroughDiagOrStderr,
  ) {
    const { selectAggregationTemporality, selectAggregation } = inner;
    if (selectAggregationTemporality) this.selectAggregationTemporality = selectAggregationTemporality.bind(inner);
    if (selectAggregation) this.selectAggregation = selectAggregation.bind(inner);
  }

  get lastExport(): ExportOutcome | undefined {
    return this.last;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    const dataPoints = countDataPoints(metrics);
    this.inner.export(metrics, (result) => {
      try {
        this.observe(result, dataPoints);
      } finally {
        resultCallback(result);
      }
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  private observe(result: ExportResult, dataPoints: number): void {
    const ok = result.code === ExportResultCode.SUCCESS;
    const failuresBefore = this.last?.consecutiveFailures ?? 0;
    const error = ok ? undefined : describeError(result.error);
    this.last = { ok, at: Date.now(), dataPoints, error, consecutiveFailures: ok ? 0 : failuresBefore + 1 };
    if (!ok && failuresBefore === 0) {
      this.report(
        'error',
        `@ryot/exporters: OTLP metrics export to ${this.url} failed (${error}); metrics are not reaching a collector. ` +
          'Start an OTLP collector there, point OTEL_EXPORTER_OTLP_ENDPOINT at one, or set OTEL_METRICS_EXPORTER=prometheus to be scraped instead. ' +
          'Reported once per outage; handle.otlp.lastExport has the latest outcome.',
      );
    } else if (ok && failuresBefore > 0) {
      this.report('info', `@ryot/exporters: OTLP metrics export to ${this.url} works again after ${failuresBefore} failed export${failuresBefore === 1 ? '' : 's'}.`);
    }
  }
}
