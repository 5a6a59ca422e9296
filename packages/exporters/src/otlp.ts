import { OTLPMetricExporter as OTLPJsonMetricExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { MeterProvider } from '@opentelemetry/api';
import { PeriodicExportingMetricReader, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { resolveConfig, type ResolvedOtlp } from './env.js';
import { ObservedMetricExporter, type OtlpHealth } from './export-health.js';
import type { EnvSource, OtlpOptions, OtlpTemporality } from './types.js';

type JsonExporterConfig = NonNullable<ConstructorParameters<typeof OTLPJsonMetricExporter>[0]>;

const TEMPORALITY: Record<OtlpTemporality, AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

/**
 * Exporter options from resolved config. Fields left undefined are omitted so the OTLP
 * exporter applies its own OTEL_EXPORTER_OTLP_* environment handling (endpoint with
 * /v1/metrics appended to the generic one, merged headers, timeout, compression,
 * temporality preference) instead of a re-implementation here.
 */
export function otlpExporterConfig(config: ResolvedOtlp): JsonExporterConfig {
  const exporterConfig: JsonExporterConfig = {};
  if (config.url !== undefined) exporterConfig.url = config.url;
  if (config.headers !== undefined) exporterConfig.headers = { ...config.headers };
  if (config.requestTimeoutMs !== undefined) exporterConfig.timeoutMillis = config.requestTimeoutMs;
  if (config.compression !== undefined) {
    exporterConfig.compression = config.compression as NonNullable<JsonExporterConfig['compression']>;
  }
  if (config.temporality !== undefined) exporterConfig.temporalityPreference = TEMPORALITY[config.temporality];
  return exporterConfig;
}

type OtelOtlpExporter = OTLPJsonMetricExporter | OTLPProtoMetricExporter;

export function createOtlpExporter(config: ResolvedOtlp): OtelOtlpExporter {
  const exporterConfig = otlpExporterConfig(config);
  return config.protocol === 'http/json' ? new OTLPJsonMetricExporter(exporterConfig) : new OTLPProtoMetricExporter(exporterConfig);
}

export interface OtlpPush {
  /** The periodic push reader; its timer is unref'd by the SDK, so call shutdown() for the final export. */
  readonly reader: PeriodicExportingMetricReader;
  /** Where exports go and the last one's outcome; failures and recoveries are reported once each. */
  readonly health: OtlpHealth;
  /**
   * Counts export outcomes as OTel's own self-observability metrics
   * (`otel.sdk.exporter.metric_data_point.exported` with `error.type`,
   * `otel.sdk.exporter.metric_data_point.inflight`, `otel.sdk.exporter.operation.duration`)
   * on `provider`. False when the installed OTLP exporter cannot (it is experimental there).
   */
  countExportsOn(provider: MeterProvider): boolean;
}

export function createOtlpPush(config: ResolvedOtlp, metricProducers?: MetricProducer[]): OtlpPush {
  const exporter = createOtlpExporter(config);
  const observed = new ObservedMetricExporter(exporter, config.destination);
  const reader = new PeriodicExportingMetricReader({
    exporter: observed,
    exportIntervalMillis: config.intervalMs,
    exportTimeoutMillis: config.exportTimeoutMs,
    ...(metricProducers ? { metricProducers } : {}),
  });
  return {
    reader,
    health: {
      url: observed.url,
      get lastExport() {
        return observed.lastExport;
      },
    },
    countExportsOn(provider) {
      const selfObservable = exporter as Partial<Pick<OtelOtlpExporter, 'setSelfObsMeterProvider'>>;
      if (typeof selfObservable.setSelfObsMeterProvider !== 'function') return false;
      selfObservable.setSelfObsMeterProvider(provider);
      return true;
    },
  };
}

/**
 * An OTLP/HTTP push reader from user-facing options, with the same env fallbacks as
 * startTelemetry: for applications that build their own MeterProvider or NodeSDK (pass
 * `metricProducers: [ryotMetricProducer()]` for Ryot's own aggregation; a delta reader needs
 * `ryotMetricProducer({ temporality: 'delta' })`). Its first failed export and its recovery
 * are reported once each, like startTelemetry's.
 */
export function createOtlpMetricReader(
  options: OtlpOptions & { metricProducers?: MetricProducer[] } = {},
  env: EnvSource = process.env,
): PeriodicExportingMetricReader {
  const { metricProducers, ...otlp } = options;
  const resolved = resolveConfig({ otlp }, env).otlp;
  if (resolved === undefined) throw new Error('unreachable: otlp options always resolve');
  return createOtlpPush(resolved, metricProducers).reader;
}
