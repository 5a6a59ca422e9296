import type { Attributes } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';

/** The readers startTelemetry can build. */
export type ExporterName = 'prometheus' | 'otlp';

/** OTLP over HTTP encodings. gRPC is not bundled (use @opentelemetry/exporter-metrics-otlp-grpc and the sdk-node path). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** OTLP aggregation temporality preference; the names OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE uses. */
export type OtlpTemporality = 'cumulative' | 'delta' | 'lowmemory';

/** A source of environment variables; `process.env` by default. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Options for the Prometheus scrape endpoint. Unset fields fall back to the environment. */
export interface PrometheusOptions {
  /**
   * Bind address of the built-in server. Default: Node's unspecified address (all
   * interfaces, `::` with IPv4 mapped, else `0.0.0.0`) so a Prometheus in another pod or
   * container can scrape it. Env: OTEL_EXPORTER_PROMETHEUS_HOST.
   */
  host?: string;
  /** Port of the built-in server; 0 picks a free port (see `handle.prometheus.port`). Default 9464. Env: OTEL_EXPORTER_PROMETHEUS_PORT. */
  port?: number;
  /** Path the built-in server answers on. Default `/metrics`. */
  path?: string;
  /** Start the built-in HTTP server. Set false to mount `handle.prometheus.handler` on your own server. Default true. */
  server?: boolean;
  /** Drop the otel_scope_name/otel_scope_version labels from every sample. Default false. */
  withoutScopeInfo?: boolean;
  /** Drop the target_info metric (resource attributes). Default false. */
  withoutTargetInfo?: boolean;
  /** When set, scrapes must send `Authorization: Bearer <token>`; others get 401. */
  bearerToken?: string;
  /** Upper bound for collecting, serializing and compressing one exposition; a slower scrape answers 503. Default 10000 ms. */
  scrapeTimeoutMs?: number;
  /**
   * A finished exposition also answers scrapes that arrive within this many ms of the start
   * of its collection (concurrent scrapes always share one). 0 disables reuse. Default 500.
   */
  scrapeCacheMs?: number;
  /** Scrapes served at once; more answer 503 with `Retry-After`. Default 10. */
  maxConcurrentScrapes?: number;
}

/** Options for the OTLP/HTTP push reader. Unset fields fall back to the OTEL_* environment. */
export interface OtlpOptions {
  /** Default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL, then `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** Full metrics URL. Default: the OTLP exporter's own env handling, then `http://localhost:4318/v1/metrics`. */
  url?: string;
  /** Extra request headers (merged over OTEL_EXPORTER_OTLP_[METRICS_]HEADERS by the exporter). */
  headers?: Record<string, string>;
  /** Export interval. Default: OTEL_METRIC_EXPORT_INTERVAL, then 60000 ms. */
  intervalMs?: number;
  /**
   * Deadline for one export, retries included. Default: OTEL_METRIC_EXPORT_TIMEOUT for the
   * reader (30000, clamped to the interval) and OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT
   * (10000) for the HTTP request.
   */
  timeoutMs?: number;
  /** Default: OTEL_EXPORTER_OTLP_[METRICS_]COMPRESSION, then none. */
  compression?: 'none' | 'gzip';
  /** Default: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, then cumulative. */
  temporality?: OtlpTemporality;
}

/** Options for the optional @ryot/nvml GPU gauges. */
export interface GpuOptions {
  /** Sampling interval passed to registerGpuMetrics. */
  intervalMs?: number;
}

/** Options for cluster mode. */
export interface ClusterOptions {
  /**
   * Longest wait, at one scrape, for the workers' answers; a worker that has not answered by then is served from its
   * previous answer (and counted as `timed_out` in `ryot_cluster_workers`). Never more than half the timeout a
   * Prometheus scrape announces (X-Prometheus-Scrape-Timeout-Seconds), nor past `prometheus.scrapeTimeoutMs`.
   * Default 1000 ms.
   */
  workerTimeoutMs?: number;
}

export interface TelemetryOptions {
  /** service.name. Default: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then `unknown_service:node`. */
  serviceName?: string;
  /** service.version resource attribute. */
  serviceVersion?: string;
  /** Extra resource attributes; they override the environment's. */
  resourceAttributes?: Attributes;
  /**
   * Prometheus scrape endpoint: options, true for defaults, false for none. When neither
   * `prometheus` nor `otlp` is given, OTEL_METRICS_EXPORTER decides.
   */
  prometheus?: PrometheusOptions | boolean;
  /** OTLP push: options, true for defaults, false for none. */
  otlp?: OtlpOptions | boolean;
  /**
   * Aggregate the per-token and per-request series in Ryot and hand them to the readers through
   * `ryotMetricProducer()` (fast, and replaced info labels leave the exposition). `false` records them through OTel
   * instruments instead, as a MeterProvider built without the producer does. Default true.
   */
  ryotAggregation?: boolean;
  /** Views added after ryotViews(). */
  views?: ViewOptions[];
  /** Per-stream cardinality limit applied by ryotViews(). Default: the SDK's 2000. */
  cardinalityLimit?: number;
  /** Start @ryot/nvml GPU gauges when that package is installed and NVML answers (waits up to 2 s for it). `handle.gpu` says whether they run. Default true. */
  gpu?: boolean | GpuOptions;
  /** Flush and exit on SIGTERM/SIGINT. Default false (your process owns its signals). */
  handleSignals?: boolean;
  /** Upper bound for shutdown(), final export included. Default: the OTLP timeout plus 1 s, or 5 s. */
  shutdownTimeoutMs?: number;
  /**
   * Cluster mode, for a `node:cluster` process tree: make the same call in the primary and in every worker (the role
   * comes from `node:cluster`). The primary serves one Prometheus endpoint for all of them: at each scrape it asks the
   * workers over the cluster IPC channel for their metrics and merges them by each metric's catalog rule (METRICS.md,
   * column "cluster"). Workers bind no Prometheus port. Every process gets its own `service.instance.id` (the
   * configured one, else `<hostname>-<primary pid>`; workers append `-worker-<cluster worker id>`), which OTLP push,
   * if configured, sends from each process. Default false.
   */
  cluster?: boolean | ClusterOptions;
  /** Where OTEL_* variables are read for exporter selection and numbers. Default process.env. */
  env?: EnvSource;
}
