import { OTLPMetricExporter as OTLPJsonMetricExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { resolveConfig, type ResolvedOtlp } from './env.js';
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

export function createOtlpExporter(config: ResolvedOtlp): PushMetricExporter {
  const exporterConfig = otlpExporterConfig(config);
  return config.protocol === 'http/json' ? new OTLPJsonMetricExporter(exporterConfig) : new OTLPProtoMetricExporter(exporterConfig);
}

/** A periodic push reader; its timer is unref'd by the SDK, so call shutdown() for the final export. */
export function createOtlpReader(config: ResolvedOtlp): PeriodicExportingMetricReader {
  return new PeriodicExportingMetricReader({
    exporter: createOtlpExporter(config),
    exportIntervalMillis: config.intervalMs,
    exportTimeoutMillis: config.exportTimeoutMs,
  });
}

/**
 * An OTLP/HTTP push reader from user-facing options, with the same env fallbacks as
 * startTelemetry: for applications that build their own MeterProvider or NodeSDK.
 */
export function createOtlpMetricReader(options: OtlpOptions = {}, env: EnvSource = process.env): PeriodicExportingMetricReader {
  const resolved = resolveConfig({ otlp: options }, env).otlp;
  if (resolved === undefined) throw new Error('unreachable: otlp options always resolve');
  return createOtlpReader(resolved);
}
