import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { DiagConsoleLogger, diag, metrics } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, type CollectionResult, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { ryotMetricProducer, ryotViews } from '@ryot/metrics';
import { declareAggregation } from '@ryot/metrics/instrumentation';
import { ClusterPrimary, type WorkerCounts } from './cluster/primary.js';
import { SnapshotReader, startClusterWorker, type ClusterWorkerLink } from './cluster/worker.js';
import { otlpTemporalityFromEnv, parseLogLevel, resolveCluster, resolveConfig } from './env.js';
import { TelemetryConfigError } from './errors.js';
import { diagLoggerRegistered, type OtlpHealth } from './export-health.js';
import { startGpuMetrics, type GpuModuleLoader } from './gpu.js';
import { createOtlpPush } from './otlp.js';
import { createPrometheusEndpoint, type MetricsRequestHandler } from './prometheus.js';
import { buildResource } from './resource.js';
import { startPrometheusServer, type PrometheusServer } from './server.js';
import type { ExporterName, TelemetryOptions } from './types.js';

export interface PrometheusHandle {
  /** Mount this on your own server (node:http, Express, Fastify via reply.raw). */
  readonly handler: MetricsRequestHandler;
  /** Collect and serialize once. */
  render(): Promise<string>;
  /** Bound address, port and URL of the built-in server; undefined when `server: false`. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly url: string | undefined;
}

export interface ClusterHandle {
  /** This process's part, from `node:cluster`. */
  readonly role: 'primary' | 'worker';
  /** This process's `service.instance.id`, the label its series carry where the merge keeps workers apart. */
  readonly instanceId: string;
  /** Primary only: the workers by outcome at the last scrape (what `ryot_cluster_workers` says). */
  readonly lastCollection: WorkerCounts | undefined;
}

export interface TelemetryHandle {
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  /** The readers that were built, in order. */
  readonly exporters: readonly ExporterName[];
  readonly prometheus: PrometheusHandle | undefined;
  /** The OTLP push: where it posts and the last export's outcome; undefined without OTLP. */
  readonly otlp: OtlpHealth | undefined;
  /** Whether @ryot/nvml GPU gauges were started. */
  readonly gpu: boolean;
  /** Cluster mode: this process's role and instance id; undefined without `cluster`. */
  readonly cluster: ClusterHandle | undefined;
  /** Exports now (OTLP); resolves even when the export failed, like the SDK. */
  forceFlush(): Promise<void>;
  /** Final export, then stops readers, the server and GPU sampling. Idempotent; bounded by shutdownTimeoutMs. */
  shutdown(): Promise<void>;
}

/** Internal seams for tests; not part of the documented options. */
export interface StartInternals {
  loadGpuModule?: GpuModuleLoader;
}

/**
 * A cluster process's `service.instance.id`: the configured one, else `<hostname>-<primary pid>`; a worker appends
 * `-worker-<its cluster worker id>`, so the same configuration in every process yields distinct ids.
 */
function clusterInstanceId(resource: Resource, role: 'primary' | 'worker'): string {
  const configured = resource.attributes['service.instance.id'];
  const base = typeof configured === 'string' && configured !== '' ? configured : `${hostname()}-${role === 'worker' ? process.ppid : process.pid}`;
  return role === 'worker' ? `${base}-worker-${cluster.worker?.id ?? process.pid}` : base;
}

function delay(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/**
 * Builds one MeterProvider (resource, Ryot views, the chosen readers), registers it as
 * the global provider that the Ryot tracking API records into, and returns a handle.
 * With no options everything comes from OTEL_* environment variables.
 *
 * The provider is registered before the first await, so what the application records
 * while the returned promise is pending (the server binding, NVML answering) is kept.
 */
export async function startTelemetry(options: TelemetryOptions = {}, internals: StartInternals = {}): Promise<TelemetryHandle> {
  const env = options.env ?? process.env;
  const config = resolveConfig(options, env);
  const clusterConfig = resolveCluster(options.cluster);
  const logLevel = parseLogLevel(env);
  const role = clusterConfig ? (cluster.isWorker ? 'worker' : 'primary') : undefined;
  let resource = buildResource(options);
  const instanceId = role ? clusterInstanceId(resource, role) : undefined;
  if (instanceId !== undefined) resource = resource.merge(resourceFromAttributes({ 'service.instance.id': instanceId }));
  if (logLevel !== undefined && !diagLoggerRegistered()) {
    // What sdk-node does with OTEL_LOG_LEVEL; a logger the application set stays.
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  }
  const readers: IMetricReader[] = [];

  // Ryot's own aggregation of the per-request series reaches each reader through a producer, created before the
  // provider is registered so every request lands in it; a delta reader gets a producer of its own.
  const aggregation = options.ryotAggregation ?? true;
  // Cluster mode: the primary serves Prometheus for every process and merges the workers' metrics into each scrape;
  // a worker serves nothing and collects through a reader of its own when the primary asks.
  let primary: ClusterPrimary | undefined;
  const endpoint = config.prometheus && role !== 'worker'
    ? createPrometheusEndpoint(
        { ...config.prometheus, ...(aggregation ? { metricProducers: [ryotMetricProducer()] } : {}) },
        role === 'primary' ? { collect: (collectLocal, deadline) => mergeCluster(primary, collectLocal, deadline) } : {},
      )
    : undefined;
  if (endpoint) readers.push(endpoint.reader);
  const snapshotReader = config.prometheus && role === 'worker' ? new SnapshotReader(aggregation ? [ryotMetricProducer()] : undefined) : undefined;
  if (snapshotReader) readers.push(snapshotReader);
  const otlpTemporality = config.otlp ? (config.otlp.temporality ?? otlpTemporalityFromEnv(env) ?? 'cumulative') : 'cumulative';
  const push = config.otlp ? createOtlpPush(config.otlp, aggregation ? [ryotMetricProducer({ temporality: otlpTemporality })] : undefined) : undefined;
  if (push) readers.push(push.reader);

  const meterProvider = new MeterProvider({
    resource,
    views: [...ryotViews(options.cardinalityLimit !== undefined ? { cardinalityLimit: options.cardinalityLimit } : {}), ...(options.views ?? [])],
    readers,
  });

  declareAggregation(meterProvider, aggregation);
  if (!metrics.setGlobalMeterProvider(meterProvider)) {
    await meterProvider.shutdown();
    throw new TelemetryConfigError(
      'global MeterProvider',
      'another MeterProvider is already registered (for example by @opentelemetry/sdk-node); pass ryotViews() and your readers to it instead, or call metrics.disable() first',
    );
  }
  push?.countExportsOn(meterProvider);
  if (role === 'primary' && endpoint && clusterConfig) {
    primary = new ClusterPrimary(cluster, { instanceId: instanceId!, workerTimeoutMs: clusterConfig.workerTimeoutMs, meterProvider });
  }
  const workerLink: ClusterWorkerLink | undefined = snapshotReader ? startClusterWorker(snapshotReader, instanceId!) : undefined;

  let server: PrometheusServer | undefined;
  if (endpoint && config.prometheus?.server) {
    try {
      server = await startPrometheusServer(endpoint.handler, config.prometheus);
    } catch (error) {
      primary?.stop();
      if (metrics.getMeterProvider() === meterProvider) metrics.disable();
      await meterProvider.shutdown();
      throw error;
    }
  }
  const prometheus: PrometheusHandle | undefined = endpoint
    ? { handler: endpoint.handler, render: endpoint.render, host: server?.host, port: server?.port, url: server?.url }
    : undefined;

  const gpuOption = options.gpu ?? true;
  const stopGpu = gpuOption === false
    ? undefined
    : await startGpuMetrics(meterProvider, typeof gpuOption === 'object' ? gpuOption.intervalMs : undefined, internals.loadGpuModule);

  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? (config.otlp ? config.otlp.exportTimeoutMs + 1000 : 5000);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let shutdownPromise: Promise<void> | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdown().finally(() => {
      // Exit only when nobody else listens; otherwise the application owns the exit.
      if (process.listenerCount(signal) === 0) process.exit(0);
    });
  };

  async function doShutdown(): Promise<void> {
    for (const signal of signals) process.removeListener(signal, onSignal);
    // Before anything stops: the final snapshot carries everything this worker counted.
    await workerLink?.stop();
    primary?.stop();
    await stopGpu?.();
    const flushed = meterProvider.shutdown({ timeoutMillis: shutdownTimeoutMs }).then(
      () => 'done' as const,
      (error: unknown) => {
        diag.warn('@ryot/exporters: shutdown did not complete cleanly', error);
        return 'done' as const;
      },
    );
    if ((await Promise.race([flushed, delay(shutdownTimeoutMs)])) === 'timeout') {
      diag.warn(`@ryot/exporters: shutdown gave up after ${shutdownTimeoutMs} ms`);
    }
    await server?.close();
    if (metrics.getMeterProvider() === meterProvider) metrics.disable();
  }

  function shutdown(): Promise<void> {
    shutdownPromise ??= doShutdown();
    return shutdownPromise;
  }

  if (options.handleSignals) {
    for (const signal of signals) process.once(signal, onSignal);
  }

  return {
    meterProvider,
    resource,
    exporters: config.exporters,
    prometheus,
    otlp: push?.health,
    gpu: stopGpu !== undefined,
    cluster: role
      ? {
          role,
          instanceId: instanceId!,
          get lastCollection() {
            return primary?.lastCollection;
          },
        }
      : undefined,
    forceFlush: () => meterProvider.forceFlush(),
    shutdown,
  };
}

/** The primary's collection in cluster mode: the workers' answers first (bounded wait), then its own, merged. */
async function mergeCluster(
  primary: ClusterPrimary | undefined,
  collectLocal: () => Promise<CollectionResult>,
  deadline: number,
): Promise<CollectionResult> {
  await primary?.gather(deadline);
  const local = await collectLocal();
  if (!primary) return local;
  return { resourceMetrics: { resource: local.resourceMetrics.resource, scopeMetrics: primary.merge(local.resourceMetrics.scopeMetrics) }, errors: local.errors };
}
