import { arch, platform, version as nodeVersion } from 'node:process';
import type { Attributes } from '@opentelemetry/api';
import { ERROR_TYPES, type ErrorType } from './catalog.js';
import { describeValue, recordSafely } from './diagnostics.js';
import type { Recorder } from './recorder.js';
import type { ModelSeries } from './series.js';
import { isFiniteNonNegative, isNonNegativeInteger, isPositiveInteger, isRecord } from './values.js';
import { RYOT_VERSION } from './version.js';

const ERROR_TYPE_SET: ReadonlySet<unknown> = new Set(ERROR_TYPES);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Bounds on an info call: labels per call and characters per value. */
const MAX_INFO_LABELS = 64;
const MAX_INFO_VALUE_LENGTH = 1024;

function finiteNonNegative(recorder: Recorder, metric: string, value: unknown): value is number {
  if (isFiniteNonNegative(value)) return true;
  recorder.rejectValue(metric, value, 'a non-negative finite number');
  return false;
}

function ratio(recorder: Recorder, metric: string, value: unknown): value is number {
  if (typeof value === 'number' && value >= 0 && value <= 1) return true;
  recorder.rejectValue(metric, value, 'a ratio in 0..1');
  return false;
}

export function recordModelLoad(recorder: Recorder, model: unknown, seconds: number): void {
  if (!finiteNonNegative(recorder, 'ryot_model_loading_duration_seconds', seconds)) return;
  recorder.instruments().modelLoadingDuration.record(seconds, recorder.series(model).attributes);
}

/** Times `load`; records the duration when it succeeds, and rethrows its error untouched. */
export async function trackModelLoad<T>(recorder: Recorder, model: unknown, load: () => PromiseLike<T> | T): Promise<T> {
  const startedAt = recorder.now();
  const value = await load();
  recordModelLoad(recorder, model, (recorder.now() - startedAt) / 1000);
  return value;
}

export interface CacheLookupOptions {
  model: string;
  /** One lookup that hit or missed. */
  hit?: boolean;
  /** Or several lookups at once (e.g. prefix blocks of one request). */
  hits?: number;
  lookups?: number;
}

export function recordCacheLookup(recorder: Recorder, options: CacheLookupOptions): void {
  const lookups: unknown = options.lookups ?? 1;
  const hits: unknown = options.hits ?? (options.hit === true ? 1 : 0);
  if (!isNonNegativeInteger(lookups) || !isNonNegativeInteger(hits) || lookups < hits) {
    recorder.rejectValue('ryot_cache_lookups', `${describeValue(hits)}/${describeValue(lookups)}`, 'integers with 0 <= hits <= lookups');
    return;
  }
  const series = recorder.series(options.model);
  recorder.requestSink().cacheLookup(series, lookups, hits);
  const now = recorder.now();
  series.cacheLookupWindow.add(lookups, now);
  series.cacheHitWindow.add(hits, now);
}

export function recordBatch(recorder: Recorder, options: { model: string; size: number }): void {
  if (!(Number.isInteger(options.size) && options.size > 0)) {
    recorder.rejectValue('ryot_batch_size', options.size, 'a positive integer');
    return;
  }
  recorder.requestSink().batch(recorder.series(options.model), options.size);
}

export function recordRetry(recorder: Recorder, options: { model: string; count?: number }): void {
  const count = options.count ?? 1;
  if (!(Number.isInteger(count) && count > 0)) {
    recorder.rejectValue('ryot_inference_retries', count, 'a positive integer');
    return;
  }
  recorder.instruments().retries.add(count, recorder.series(options.model).attributes);
}

export interface GpuMetricsUpdate {
  model: string;
  gpuId: string | number;
  /** Bytes in use. */
  usedBytes?: number;
  /** Bytes reserved (allocator pool, or device total). */
  reservedBytes?: number;
  /** Utilization in percent, 0..100. */
  utilization?: number;
}

export function updateGpuMetrics(recorder: Recorder, update: GpuMetricsUpdate): void {
  const instruments = recorder.instruments();
  const series = recorder.series(update.model);
  const attributes = series.cached(`gpu:${recorder.gpuLabel(update.gpuId)}`, () => ({
    model: series.label,
    gpu_id: recorder.gpuLabel(update.gpuId),
  }));
  const { usedBytes, reservedBytes, utilization } = update;
  const used = usedBytes !== undefined && finiteNonNegative(recorder, 'ryot_gpu_memory_usage_bytes', usedBytes) ? usedBytes : undefined;
  const reserved =
    reservedBytes !== undefined && finiteNonNegative(recorder, 'ryot_gpu_memory_reserved_bytes', reservedBytes) ? reservedBytes : undefined;
  if (used !== undefined) instruments.gpuMemoryUsage.record(used, attributes);
  if (reserved !== undefined) instruments.gpuMemoryReserved.record(reserved, attributes);
  if (used !== undefined && reserved !== undefined && reserved > 0) {
    instruments.memoryEfficiency.record(used / reserved, attributes);
  }
  if (utilization !== undefined) {
    if (typeof utilization === 'number' && utilization >= 0 && utilization <= 100) {
      instruments.gpuUtilization.record(utilization, attributes);
    } else {
      recorder.rejectValue('ryot_gpu_utilization_percent', utilization, 'a percentage in 0..100');
    }
  }
}

/** Counts an error that no tracked request recorded (a failed health check, an engine fault between requests). */
export function recordError(recorder: Recorder, options: { model: string; errorType: ErrorType }): void {
  let errorType = options.errorType;
  if (!ERROR_TYPE_SET.has(errorType)) {
    recorder.rejectValue('ryot_inference_errors', errorType, `one of ${ERROR_TYPES.join(', ')} (recorded as unknown)`);
    errorType = 'unknown';
  }
  recorder.requestSink().error(recorder.series(options.model), errorType);
}

/** Sets the queue size of a model to a value measured elsewhere (an engine's own queue); queue tickets then count from it. */
export function setQueueSize(recorder: Recorder, options: { model: string; size: number }): void {
  if (!(Number.isInteger(options.size) && options.size >= 0)) {
    recorder.rejectValue('ryot_inference_queue_size', options.size, 'a non-negative integer');
    return;
  }
  const series = recorder.series(options.model);
  recorder.instruments();
  series.queueSize = options.size;
}

/** Records a queue wait measured elsewhere, in seconds. */
export function recordQueueWait(recorder: Recorder, options: { model: string; seconds: number }): void {
  if (!finiteNonNegative(recorder, 'ryot_inference_queue_wait_seconds', options.seconds)) return;
  recorder.requestSink().queueWait(recorder.series(options.model), options.seconds);
}

/** Sets ryot_tokens_per_second for a model to a rate measured elsewhere; from then on it replaces Ryot's own. */
export function setTokenThroughput(recorder: Recorder, options: { model: string; tokensPerSecond: number }): void {
  if (!finiteNonNegative(recorder, 'ryot_tokens_per_second', options.tokensPerSecond)) return;
  const series = recorder.series(options.model);
  recorder.instruments();
  series.throughputOverride = options.tokensPerSecond;
}

/** Counts preemptions of a model's running sequences (ryot_preemptions_total); false when `count` is not a positive integer. */
export function countPreemptions(recorder: Recorder, series: ModelSeries, count: unknown): boolean {
  if (!isPositiveInteger(count)) {
    recorder.rejectValue('ryot_preemptions', count, 'a positive integer');
    return false;
  }
  recorder.instruments().preemptions.add(count, series.attributes);
  return true;
}

export function recordPreemption(recorder: Recorder, options: { model: string; count?: number }): void {
  countPreemptions(recorder, recorder.series(options.model), options.count ?? 1);
}

/** Sets ryot_kv_cache_usage_ratio for a model: the fraction of its KV cache in use, 0..1. */
export function setKvCacheUsage(recorder: Recorder, options: { model: string; ratio: number }): void {
  if (!ratio(recorder, 'ryot_kv_cache_usage_ratio', options.ratio)) return;
  const series = recorder.series(options.model);
  recorder.instruments();
  series.kvCacheUsage = options.ratio;
}

/** Sets ryot_model_cache_hit_ratio for a model (0..1); from then on it replaces the ratio Ryot computes from lookups. */
export function setCacheHitRatio(recorder: Recorder, options: { model: string; ratio: number }): void {
  if (!ratio(recorder, 'ryot_model_cache_hit_ratio', options.ratio)) return;
  const series = recorder.series(options.model);
  recorder.instruments();
  series.cacheHitRatioOverride = options.ratio;
}

/**
 * Info labels: keys must be Prometheus label names, values strings (numbers and booleans are stringified), at most
 * 64 labels of at most 1024 characters. Whatever the input, each kind of problem is reported once.
 */
export function sanitizeInfoLabels(recorder: Recorder, labels: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  let count = 0;
  for (const [key, value] of Object.entries(labels)) {
    if (value === undefined) continue;
    if (!LABEL_NAME.test(key) || key.startsWith('__')) {
      recorder.diagnostics.warnOnce('info-key', () => `info label ${describeValue(key)} is not a valid Prometheus label name; dropped (reported once for all such labels).`);
      continue;
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else {
      recorder.diagnostics.warnOnce('info-value', () => `info label ${key} must be a string, number or boolean; dropped (reported once for all such labels).`);
      continue;
    }
    if (++count > MAX_INFO_LABELS) {
      recorder.diagnostics.warnOnce('info-labels', `an info call carried more than ${MAX_INFO_LABELS} labels; the rest are dropped.`);
      break;
    }
    if (text.length > MAX_INFO_VALUE_LENGTH) {
      recorder.diagnostics.warnOnce('info-value-length', `an info label value is longer than ${MAX_INFO_VALUE_LENGTH} characters; it is cut there.`);
      text = text.slice(0, MAX_INFO_VALUE_LENGTH);
    }
    attributes[key] = text;
  }
  return attributes;
}

/** The labels object of an info call, or undefined (reported once) when it is not an object. */
export function infoLabelsArgument(recorder: Recorder, labels: unknown): Record<string, unknown> | undefined {
  if (isRecord(labels)) return labels;
  recorder.rejectValue('info labels', labels, 'an object of labels');
  return undefined;
}

export interface SystemInfo {
  /** Sets ryot_system_info's labels (replacing earlier ones). Runtime labels are filled in unless overridden. */
  info(labels?: Record<string, string | number | boolean | undefined>): void;
}

export interface ModelInfo {
  /**
   * Sets ryot_model_info's labels. With a `model` label, they replace that model's earlier ones; without one
   * (the reference library's `modelInfo.info({ models: 'gpt4, claude' })`), they replace the earlier model-less set.
   */
  info(labels: { model?: string } & Record<string, string | number | boolean | undefined>): void;
}

export function systemInfoFor(recorder: () => Recorder): SystemInfo {
  return {
    info(labels = {}) {
      const instance = recorder();
      recordSafely(instance.diagnostics, 'systemInfo.info', () => {
        if (infoLabelsArgument(instance, labels) === undefined) return;
        instance.setSystemInfo(
          sanitizeInfoLabels(instance, {
            ryot_version: RYOT_VERSION,
            runtime: 'nodejs',
            runtime_version: nodeVersion,
            platform,
            arch,
            ...labels,
          }),
        );
      });
    },
  };
}

export function modelInfoFor(recorder: () => Recorder): ModelInfo {
  return {
    info(labels) {
      const instance = recorder();
      recordSafely(instance.diagnostics, 'modelInfo.info', () => {
        if (infoLabelsArgument(instance, labels) === undefined) return;
        const { model, ...rest } = labels;
        instance.setModelInfo(model === undefined ? null : instance.series(model), sanitizeInfoLabels(instance, rest));
      });
    },
  };
}
