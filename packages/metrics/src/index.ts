export {
  METRICS,
  ALL_METRICS,
  ERROR_TYPES,
  REQUEST_STATUSES,
  RYOT_METER_NAME,
  ATTR_MODEL,
  ATTR_STATUS,
  ATTR_ERROR_TYPE,
  ATTR_GPU_ID,
  prometheusName,
  prometheusType,
} from './catalog.js';
export type { MetricDefinition, MetricGroup, InstrumentKind, MetricKey, RequestStatus, ErrorType } from './catalog.js';
export { createInstrument } from './instruments.js';
export type { InstrumentFor } from './instruments.js';
export { ryotViews } from './views.js';
export type { RyotViewsOptions } from './views.js';
export { RYOT_VERSION } from './version.js';
export { Ryot } from './ryot.js';
export type { RyotOptions, GenAiSemconvOptions } from './ryot.js';
export { RyotError, RyotConfigError } from './errors.js';
export { classifyError } from './classify.js';
export type { ErrorClassifier } from './classify.js';
export type { Clock } from './clock.js';
export { OVERFLOW_LABEL } from './labels.js';
export { InferenceContext } from './context.js';
export type { InferenceContextOptions } from './context.js';
export { QueueTicket } from './queue.js';
export type { Tracker } from './tracker.js';
export type { TrackInferenceRequestOptions, TokenUsage } from './track-request.js';
export type { TrackTokenGenerationOptions } from './track-stream.js';
export type { CacheLookupOptions, GpuMetricsUpdate } from './operations.js';
export type { SystemInfo, ModelInfo } from './info.js';
export { createRyot, defaultApi } from './api.js';
export type { RyotApi } from './api.js';

import { defaultApi } from './api.js';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { RyotOptions } from './ryot.js';

/**
 * The default instance's MetricProducer: add it to each reader you build (`metricProducers: [ryotMetricProducer()]`)
 * beside `ryotViews()`. startTelemetry() from @ryot/exporters does this for its readers.
 */
export function ryotMetricProducer(): MetricProducer {
  return defaultApi.metricProducer();
}

/** Reconfigures the default instance behind the top-level functions. */
export function configure(options: RyotOptions): void {
  defaultApi.configure(options);
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
  systemInfo,
  modelInfo,
} = defaultApi;
