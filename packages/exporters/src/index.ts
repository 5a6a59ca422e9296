export { startTelemetry } from './start.js';
export type { TelemetryHandle, PrometheusHandle, ClusterHandle } from './start.js';
export type { WorkerCounts, WorkerState } from './cluster/primary.js';
export { resolveConfig, parseExporterList, DEFAULT_PROMETHEUS_PORT, DEFAULT_PROMETHEUS_PATH } from './env.js';
export type { ResolvedConfig, ResolvedOtlp, ResolvedPrometheus } from './env.js';
export { createPrometheusEndpoint, bearerTokenMatches, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
export type { MetricsRequestHandler, PrometheusEndpoint, PrometheusEndpointOptions } from './prometheus.js';
export { startPrometheusServer } from './server.js';
export type { PrometheusServer, PrometheusServerOptions } from './server.js';
export { createOtlpMetricReader } from './otlp.js';
export type { ExportOutcome, OtlpHealth } from './export-health.js';
export { buildResource } from './resource.js';
export type { ResourceOptions } from './resource.js';
export { TelemetryConfigError } from './errors.js';
export type {
  ClusterOptions,
  EnvSource,
  ExporterName,
  GpuOptions,
  OtlpOptions,
  OtlpProtocol,
  OtlpTemporality,
  PrometheusOptions,
  TelemetryOptions,
} from './types.js';
