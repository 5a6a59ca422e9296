/**
 * @ryot/metrics: the tracking API over the default instance, and what a service needs to start it. Building blocks
 * for integrations are in `@ryot/metrics/instrumentation`, test helpers in `@ryot/metrics/testing`, and the
 * reference Python library's API in `@ryot/metrics/compat`.
 */
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import { defaultApi } from './api.js';
import type { ProducerTemporality } from './producer.js';
import type { RyotOptions } from './recorder.js';

export { createRyot } from './api.js';
export type { RyotApi } from './api.js';
export { InferenceContext } from './inference.js';
export type { InferenceContextOptions, InferenceSummary, GenAiClientOptions } from './inference.js';
export { ryotViews } from './views.js';
export type { RyotViewsOptions } from './views.js';
export { RyotError, RyotConfigError } from './errors.js';
export type { RyotOptions, GenAiSemconvOptions, Clock } from './recorder.js';
export type { ErrorClassifier } from './classify.js';
export type { ProducerTemporality } from './producer.js';
export type { ErrorType, RequestStatus } from './catalog.js';
export type { Tracker, TrackInferenceRequestOptions, TrackTokenGenerationOptions, TokenUsage, ModelOption } from './track.js';
export type { QueueTicket } from './queue.js';
export type { CacheLookupOptions, GpuMetricsUpdate, SystemInfo, ModelInfo } from './operations.js';

/** Reconfigures the default instance behind the top-level functions. */
export function configure(options: RyotOptions): void {
  defaultApi.configure(options);
}

/**
 * The default instance's MetricProducer: add it to each reader you build (`metricProducers: [ryotMetricProducer()]`)
 * beside `ryotViews()`. startTelemetry() from @ryot/exporters does this for its readers.
 */
export function ryotMetricProducer(options?: { temporality?: ProducerTemporality }): MetricProducer {
  return defaultApi.metricProducer(options);
}

export const {
  trackInferenceRequest,
  trackTokenGeneration,
  startInference,
  enqueue,
  waitInQueue,
  recordModelLoad,
  trackModelLoad,
  recordCacheLookup,
  recordBatch,
  recordRetry,
  recordError,
  setQueueSize,
  recordQueueWait,
  setTokenThroughput,
  setCacheHitRatio,
  updateGpuMetrics,
  classifyError,
  systemInfo,
  modelInfo,
} = defaultApi;
