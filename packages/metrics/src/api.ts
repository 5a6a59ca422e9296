import type { MetricProducer } from '@opentelemetry/sdk-metrics';
import type { ErrorType } from './catalog.js';
import { reportRecordFailure } from './diagnostics.js';
import { startInferenceFor, type InferenceContext, type InferenceContextOptions } from './inference.js';
import {
  modelInfoFor,
  systemInfoFor,
  recordBatch,
  recordCacheLookup,
  recordError,
  recordModelLoad,
  recordPreemption,
  recordQueueWait,
  recordRetry,
  setCacheHitRatio,
  setKvCacheUsage,
  setQueueSize,
  setTokenThroughput,
  trackModelLoad,
  updateGpuMetrics,
  type CacheLookupOptions,
  type GpuMetricsUpdate,
  type ModelInfo,
  type SystemInfo,
} from './operations.js';
import { QueueTicket, waitInQueue } from './queue.js';
import type { ProducerTemporality } from './producer.js';
import { getDefaultRecorder, Recorder, registerRecorder, type RyotOptions } from './recorder.js';
import { trackInferenceRequestWith, trackTokenGenerationWith, type Tracker, type TrackInferenceRequestOptions, type TrackTokenGenerationOptions } from './track.js';

/** The tracking API, bound to one recorder (the default one, or a `createRyot()` instance). */
export interface RyotApi {
  configure(options: RyotOptions): void;
  /** The instance's monotonic clock in milliseconds: what `startedAt` and the timings are measured on. */
  now(): number;
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
  /** Counts preemptions of running sequences outside any tracked request (else use ctx.recordPreemption()). */
  recordPreemption(options: { model: string; count?: number }): void;
  /** Sets the fraction of the model's KV cache in use (0..1). */
  setKvCacheUsage(options: { model: string; ratio: number }): void;
  updateGpuMetrics(update: GpuMetricsUpdate): void;
  /** The error_type a thrown value classifies to (the configured classifier, then the built-in one). */
  classifyError(error: unknown): ErrorType;
  /**
   * A MetricProducer serving this instance's per-request series and info metrics; pass it to every reader's
   * `metricProducers` (one per reader for `delta`, the reader's temporality).
   */
  metricProducer(options?: { temporality?: ProducerTemporality }): MetricProducer;
  readonly systemInfo: SystemInfo;
  readonly modelInfo: ModelInfo;
}

/**
 * A record call behind the never-throw boundary. Two fixed parameters rather than rest arguments and a closure:
 * engines call some of these every step.
 */
function recording<A>(recorder: () => Recorder, what: string, record: (recorder: Recorder, a: A) => void): (a: A) => void;
function recording<A, B>(recorder: () => Recorder, what: string, record: (recorder: Recorder, a: A, b: B) => void): (a: A, b: B) => void;
function recording(recorder: () => Recorder, what: string, record: (recorder: Recorder, a: unknown, b: unknown) => void): (a: unknown, b: unknown) => void {
  return (a, b) => {
    const instance = recorder();
    try {
      record(instance, a, b);
    } catch (error) {
      reportRecordFailure(instance.diagnostics, what, error);
    }
  };
}

function bindApi(recorder: () => Recorder): RyotApi {
  const api: RyotApi = {
    configure: (options) => recorder().configure(options),
    now: () => recorder().now(),
    trackInferenceRequest: (options) => trackInferenceRequestWith(recorder(), options),
    trackTokenGeneration: (options) => trackTokenGenerationWith(recorder(), options),
    startInference: (options) => startInferenceFor(recorder(), options),
    enqueue: (model) => new QueueTicket(recorder(), recorder().series(model)),
    waitInQueue: (model, acquire) => waitInQueue(recorder(), model, acquire),
    recordModelLoad: recording(recorder, 'recordModelLoad', recordModelLoad),
    trackModelLoad: (model, load) => trackModelLoad(recorder(), model, load),
    recordCacheLookup: recording(recorder, 'recordCacheLookup', recordCacheLookup),
    recordBatch: recording(recorder, 'recordBatch', recordBatch),
    recordRetry: recording(recorder, 'recordRetry', recordRetry),
    recordError: recording(recorder, 'recordError', recordError),
    setQueueSize: recording(recorder, 'setQueueSize', setQueueSize),
    recordQueueWait: recording(recorder, 'recordQueueWait', recordQueueWait),
    setTokenThroughput: recording(recorder, 'setTokenThroughput', setTokenThroughput),
    setCacheHitRatio: recording(recorder, 'setCacheHitRatio', setCacheHitRatio),
    recordPreemption: recording(recorder, 'recordPreemption', recordPreemption),
    setKvCacheUsage: recording(recorder, 'setKvCacheUsage', setKvCacheUsage),
    updateGpuMetrics: recording(recorder, 'updateGpuMetrics', updateGpuMetrics),
    classifyError: (error) => recorder().classify(error),
    metricProducer: (options) => recorder().metricProducer(options?.temporality),
    systemInfo: systemInfoFor(recorder),
    modelInfo: modelInfoFor(recorder),
  };
  return api;
}

/** A tracking API over its own instance (own provider, clock, limits). */
export function createRyot(options: RyotOptions = {}): RyotApi {
  const recorder = new Recorder(options);
  const api = bindApi(() => recorder);
  registerRecorder(api, recorder);
  return api;
}

/** The API the top-level functions belong to: the default instance, created on first use. */
export const defaultApi: RyotApi = bindApi(getDefaultRecorder);
