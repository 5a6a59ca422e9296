/**
 * `@ryot/metrics/compat`: the reference Python library's API (`ryot/monitoring/metrics.py`), name for name in
 * camelCase, with its positional arguments and defaults. Every function is a thin adapter over the core API, so
 * both record into the same instruments with the same validation, cardinality guard and diagnostics.
 */
import { defaultApi, type RyotApi } from './api.js';
import type { ErrorType } from './catalog.js';
import { InferenceContext as CoreInferenceContext } from './inference.js';
import type { ModelInfo, SystemInfo } from './operations.js';
import type { ModelOption, TokenUsage, Tracker } from './track.js';

/** The model label the reference library uses when none is given. */
export const DEFAULT_MODEL = 'default';

/**
 * The reference library's `error_type` spellings and the Ryot error_type each one is recorded as. Ryot's own
 * names are accepted as they are; any other value is recorded as `unknown` with one diagnostic.
 */
export const REFERENCE_ERROR_TYPES: ReadonlyMap<string, ErrorType> = new Map<string, ErrorType>([
  ['oom', 'oom'],
  ['timeout', 'timeout'],
  ['cuda_error', 'cuda'],
  ['invalid_input', 'invalid_request'],
  ['runtime_error', 'unknown'],
]);

/** The Ryot error_type a reference spelling maps to; other strings pass through for the core API to validate. */
export function toErrorType(errorType: string): ErrorType {
  return REFERENCE_ERROR_TYPES.get(errorType) ?? (errorType as ErrorType);
}

function numberField(result: object, camel: string, snake: string): number | undefined {
  const record = result as Record<string, unknown>;
  const value = record[camel] ?? record[snake];
  return typeof value === 'number' ? value : undefined;
}

/** The reference decorator reads a token count and a TTFT from the function's result when it carries them. */
function usageFromResult(result: unknown): TokenUsage | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  return {
    completionTokens: numberField(result, 'tokenCount', 'token_count'),
    ttftSeconds: numberField(result, 'ttftSeconds', 'ttft_seconds'),
  };
}

/** An InferenceContext constructed the reference way: `new InferenceContext('gpt4')`. */
export interface CompatInferenceContextConstructor {
  new (model?: string): CoreInferenceContext;
}

export interface CompatApi {
  trackInferenceRequest(model?: ModelOption): Tracker;
  trackTokenGeneration(model?: ModelOption): Tracker;
  readonly InferenceContext: CompatInferenceContextConstructor;
  updateGpuMetrics(model: string, gpuId: string | number, usedBytes: number, reservedBytes: number, utilization: number): void;
  recordInferenceError(model: string, errorType: string): void;
  updateQueueMetrics(model: string, queueSize: number): void;
  recordQueueWait(model: string, waitSeconds: number): void;
  updateTokenThroughput(model: string, tokensPerSec: number): void;
  recordBatchProcessed(model: string, batchSize: number): void;
  recordModelLoadTime(model: string, loadTimeSeconds: number): void;
  updateCacheMetrics(model: string, hitRatio: number): void;
  readonly systemInfo: SystemInfo;
  readonly modelInfo: ModelInfo;
}

/** The reference API over one Ryot instance (the default one unless given, e.g. `createCompat(createRyot({...}))`). */
export function createCompat(api: RyotApi = defaultApi): CompatApi {
  class InferenceContext extends CoreInferenceContext {
    constructor(model: string = DEFAULT_MODEL) {
      super({ model, ryot: api });
    }
  }
  return {
    trackInferenceRequest: (model = DEFAULT_MODEL) => api.trackInferenceRequest({ model, usage: usageFromResult }),
    trackTokenGeneration: (model = DEFAULT_MODEL) => api.trackTokenGeneration({ model }),
    InferenceContext,
    updateGpuMetrics: (model, gpuId, usedBytes, reservedBytes, utilization) =>
      api.updateGpuMetrics({ model, gpuId, usedBytes, reservedBytes, utilization }),
    recordInferenceError: (model, errorType) => api.recordError({ model, errorType: toErrorType(errorType) }),
    updateQueueMetrics: (model, queueSize) => api.setQueueSize({ model, size: queueSize }),
    recordQueueWait: (model, waitSeconds) => api.recordQueueWait({ model, seconds: waitSeconds }),
    updateTokenThroughput: (model, tokensPerSec) => api.setTokenThroughput({ model, tokensPerSecond: tokensPerSec }),
    recordBatchProcessed: (model, batchSize) => api.recordBatch({ model, size: batchSize }),
    recordModelLoadTime: (model, loadTimeSeconds) => api.recordModelLoad(model, loadTimeSeconds),
    updateCacheMetrics: (model, hitRatio) => api.setCacheHitRatio({ model, ratio: hitRatio }),
    systemInfo: api.systemInfo,
    modelInfo: api.modelInfo,
  };
}

/** The type of the objects `new InferenceContext(model)` creates. */
export type InferenceContext = CoreInferenceContext;

export const {
  trackInferenceRequest,
  trackTokenGeneration,
  InferenceContext,
  updateGpuMetrics,
  recordInferenceError,
  updateQueueMetrics,
  recordQueueWait,
  updateTokenThroughput,
  recordBatchProcessed,
  recordModelLoadTime,
  updateCacheMetrics,
  systemInfo,
  modelInfo,
} = createCompat();
