import { InferenceContext, type InferenceContextOptions } from './context.js';
import { getDefaultRyot } from './default-instance.js';
import { modelInfoFor, systemInfoFor, type ModelInfo, type SystemInfo } from './info.js';
import {
  recordBatch,
  recordCacheLookup,
  recordError,
  recordModelLoad,
  recordQueueWait,
  recordRetry,
  setCacheHitRatio,
  setQueueSize,
  setTokenThroughput,
  trackModelLoad,
  updateGpuMetrics,
  type CacheLookupOptions,
  type GpuMetricsUpdate,
} from './operations.js';
import { QueueTicket, waitInQueue } from './queue.js';
import { recordSafely } from './diagnostics.js';
import { Ryot, type RyotOptions } from './ryot.js';
import { trackInferenceRequestWith, type TrackInferenceRequestOptions } from './track-request.js';
import { trackTokenGenerationWith, type TrackTokenGenerationOptions } from './track-stream.js';
import type { Tracker } from './tracker.js';
import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { ErrorType } from './catalog.js';

/** The tracking API, bound to one Ryot instance. */
export interface RyotApi {
  readonly ryot: Ryot;
  configure(options: RyotOptions): void;
  trackInferenceRequest(options: TrackInferenceRequestOptions): Tracker;
  trackTokenGeneration(options: TrackTokenGenerationOptions): Tracker;
  startInference(options: Omit<InferenceContextOptions, 'ryot'>): InferenceContext;
  enqueue(model: string): QueueTicket;
  waitInQueue<T>(model: string, acquire: () => PromiseLike<T> | T): Promise<T>;
  recordModelLoad(model: string, seconds: number): void;
  trackModelLoad<T>(model: string, load: () => PromiseLike<T> | T): Promise<T>;
  recordCacheLookup(options: CacheLookupOptions): void;
  recordBatch(options: { model: string; size: number }): void;
  recordRetry(options: { model: string; count?: number }): void;
  /** Counts an error outside any tracked request. */
  recordError(options: { model: string; errorType: ErrorType }): void;
  /** Sets the queue size measured elsewhere (an engine's own queue). */
  setQueueSize(options: { model: string; size: number }): void;
  /** Records a queue wait measured elsewhere. */
  recordQueueWait(options: { model: string; seconds: number }): void;
  /** Replaces the computed ryot_tokens_per_second of a model with a rate measured elsewhere. */
  setTokenThroughput(options: { model: string; tokensPerSecond: number }): void;
  /** Replaces the computed ryot_model_cache_hit_ratio of a model with a ratio measured elsewhere. */
  setCacheHitRatio(options: { model: string; ratio: number }): void;
  updateGpuMetrics(update: GpuMetricsUpdate): void;
  classifyError(error: unknown): ErrorType;
  /** The MetricProducer this instance's info metrics are served through; pass it to every reader's `metricProducers`. */
  metricProducer(): MetricProducer;
  readonly systemInfo: SystemInfo;
  readonly modelInfo: ModelInfo;
}

/** A record call over the instance `get` returns, behind the never-throw boundary. */
function recording<A extends unknown[]>(get: () => Ryot, what: string, record: (ryot: Ryot, ...args: A) => void): (...args: A) => void {
  return (...args) => {
    const ryot = get();
    recordSafely(ryot.diagnostics, what, () => record(ryot, ...args));
  };
}

function bindApi(get: () => Ryot): RyotApi {
  return {
    get ryot() {
      return get();
    },
    configure: (options) => get().configure(options),
    trackInferenceRequest: (options) => trackInferenceRequestWith(get(), options),
    trackTokenGeneration: (options) => trackTokenGenerationWith(get(), options),
    startInference: (options) => new InferenceContext({ ...options, ryot: get() }),
    enqueue: (model) => new QueueTicket(get(), get().series(model)),
    waitInQueue: (model, acquire) => waitInQueue(get(), model, acquire),
    recordModelLoad: recording(get, 'recordModelLoad', recordModelLoad),
    trackModelLoad: (model, load) => trackModelLoad(get(), model, load),
    recordCacheLookup: recording(get, 'recordCacheLookup', recordCacheLookup),
    recordBatch: recording(get, 'recordBatch', recordBatch),
    recordRetry: recording(get, 'recordRetry', recordRetry),
    recordError: recording(get, 'recordError', recordError),
    setQueueSize: recording(get, 'setQueueSize', setQueueSize),
    recordQueueWait: recording(get, 'recordQueueWait', recordQueueWait),
    setTokenThroughput: recording(get, 'setTokenThroughput', setTokenThroughput),
    setCacheHitRatio: recording(get, 'setCacheHitRatio', setCacheHitRatio),
    updateGpuMetrics: recording(get, 'updateGpuMetrics', updateGpuMetrics),
    classifyError: (error) => get().classify(error),
    metricProducer: () => get().metricProducer(),
    systemInfo: systemInfoFor(get),
    modelInfo: modelInfoFor(get),
  };
}

/** A tracking API over its own Ryot instance (own provider, clock, limits). */
export function createRyot(options: RyotOptions = {}): RyotApi {
  const ryot = new Ryot(options);
  return bindApi(() => ryot);
}

export const defaultApi: RyotApi = bindApi(getDefaultRyot);
