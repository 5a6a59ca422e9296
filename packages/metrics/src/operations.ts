import type { Attributes } from '@opentelemetry/api';
import { ERROR_TYPES, type ErrorType } from './catalog.js';
import type { Ryot } from './ryot.js';

const ERROR_TYPE_SET: ReadonlySet<unknown> = new Set(ERROR_TYPES);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function finiteNonNegative(ryot: Ryot, metric: string, value: unknown): value is number {
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return true;
  ryot.rejectValue(metric, value, 'a non-negative finite number');
  return false;
}

export function recordModelLoad(ryot: Ryot, model: unknown, seconds: number): void {
  if (!finiteNonNegative(ryot, 'ryot_model_loading_duration_seconds', seconds)) return;
  ryot.instruments().modelLoadingDuration.record(seconds, ryot.series(model).attributes);
}

/** Times `load`; records the duration when it succeeds, and rethrows its error untouched. */
export async function trackModelLoad<T>(ryot: Ryot, model: unknown, load: () => PromiseLike<T> | T): Promise<T> {
  const startedAt = ryot.now();
  const value = await load();
  recordModelLoad(ryot, model, (ryot.now() - startedAt) / 1000);
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

export function recordCacheLookup(ryot: Ryot, options: CacheLookupOptions): void {
  const lookups = options.lookups ?? 1;
  const hits = options.hits ?? (options.hit ? 1 : 0);
  if (!Number.isInteger(lookups) || !Number.isInteger(hits) || hits < 0 || lookups < hits) {
    ryot.rejectValue('ryot_cache_lookups', `${hits}/${lookups}`, 'integers with 0 <= hits <= lookups');
    return;
  }
  const series = ryot.series(options.model);
  const instruments = ryot.instruments();
  instruments.cacheLookups.add(lookups, series.attributes);
  instruments.cacheHits.add(hits, series.attributes);
  const now = ryot.now();
  series.cacheLookupWindow.add(lookups, now);
  series.cacheHitWindow.add(hits, now);
}

export function recordBatch(ryot: Ryot, options: { model: string; size: number }): void {
  if (!(Number.isInteger(options.size) && options.size > 0)) {
    ryot.rejectValue('ryot_batch_size', options.size, 'a positive integer');
    return;
  }
  const instruments = ryot.instruments();
  const { attributes } = ryot.series(options.model);
  instruments.batchSize.record(options.size, attributes);
  instruments.batchesProcessed.add(1, attributes);
}

export function recordRetry(ryot: Ryot, options: { model: string; count?: number }): void {
  const count = options.count ?? 1;
  if (!(Number.isInteger(count) && count > 0)) {
    ryot.rejectValue('ryot_inference_retries', count, 'a positive integer');
    return;
  }
  ryot.instruments().retries.add(count, ryot.series(options.model).attributes);
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

export function updateGpuMetrics(ryot: Ryot, update: GpuMetricsUpdate): void {
  const instruments = ryot.instruments();
  const series = ryot.series(update.model);
  const attributes = series.cached(`gpu:${ryot.gpuLabel(update.gpuId)}`, () => ({
    model: series.label,
    gpu_id: ryot.gpuLabel(update.gpuId),
  }));
  const { usedBytes, reservedBytes, utilization } = update;
  const used = usedBytes !== undefined && finiteNonNegative(ryot, 'ryot_gpu_memory_usage_bytes', usedBytes) ? usedBytes : undefined;
  const reserved =
    reservedBytes !== undefined && finiteNonNegative(ryot, 'ryot_gpu_memory_reserved_bytes', reservedBytes) ? reservedBytes : undefined;
  if (used !== undefined) instruments.gpuMemoryUsage.record(used, attributes);
  if (reserved !== undefined) instruments.gpuMemoryReserved.record(reserved, attributes);
  if (used !== undefined && reserved !== undefined && reserved > 0) {
    instruments.memoryEfficiency.record(used / reserved, attributes);
  }
  if (utilization !== undefined) {
    if (typeof utilization === 'number' && utilization >= 0 && utilization <= 100) {
      instruments.gpuUtilization.record(utilization, attributes);
    } else {
      ryot.rejectValue('ryot_gpu_utilization_percent', utilization, 'a percentage in 0..100');
    }
  }
}

/** Counts an error that no tracked request recorded (a failed health check, an engine fault between requests). */
export function recordError(ryot: Ryot, options: { model: string; errorType: ErrorType }): void {
  let errorType = options.errorType;
  if (!ERROR_TYPE_SET.has(errorType)) {
    ryot.rejectValue('ryot_inference_errors', errorType, `one of ${ERROR_TYPES.join(', ')} (recorded as unknown)`);
    errorType = 'unknown';
  }
  ryot.instruments().errors.add(1, ryot.series(options.model).errorAttributes(errorType));
}

/** Sets the queue size of a model to a value measured elsewhere (an engine's own queue); queue tickets then count from it. */
export function setQueueSize(ryot: Ryot, options: { model: string; size: number }): void {
  if (!(Number.isInteger(options.size) && options.size >= 0)) {
    ryot.rejectValue('ryot_inference_queue_size', options.size, 'a non-negative integer');
    return;
  }
  const series = ryot.series(options.model);
  ryot.instruments();
  series.queueSize = options.size;
}

/** Records a queue wait measured elsewhere, in seconds. */
export function recordQueueWait(ryot: Ryot, options: { model: string; seconds: number }): void {
  if (!finiteNonNegative(ryot, 'ryot_inference_queue_wait_seconds', options.seconds)) return;
  ryot.instruments().queueWait.record(options.seconds, ryot.series(options.model).attributes);
}

/** Sets ryot_tokens_per_second for a model to a rate measured elsewhere; from then on it replaces Ryot's own. */
export function setTokenThroughput(ryot: Ryot, options: { model: string; tokensPerSecond: number }): void {
  if (!finiteNonNegative(ryot, 'ryot_tokens_per_second', options.tokensPerSecond)) return;
  const series = ryot.series(options.model);
  ryot.instruments();
  series.throughputOverride = options.tokensPerSecond;
}

/** Sets ryot_model_cache_hit_ratio for a model (0..1); from then on it replaces the ratio Ryot computes from lookups. */
export function setCacheHitRatio(ryot: Ryot, options: { model: string; ratio: number }): void {
  const { ratio } = options;
  if (!(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
    ryot.rejectValue('ryot_model_cache_hit_ratio', ratio, 'a ratio in 0..1');
    return;
  }
  const series = ryot.series(options.model);
  ryot.instruments();
  series.cacheHitRatioOverride = ratio;
}

/** Info labels: keys must be Prometheus label names, values strings (numbers and booleans are stringified). */
export function sanitizeInfoLabels(ryot: Ryot, labels: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('__')) {
      ryot.diagnostics.warnOnce(`info-key:${key.slice(0, 40)}`, `info label ${JSON.stringify(key.slice(0, 40))} is not a valid Prometheus label name; dropped.`);
      continue;
    }
    if (typeof value === 'string') attributes[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') attributes[key] = String(value);
    else if (value !== undefined) ryot.diagnostics.warnOnce(`info-value:${key}`, `info label ${key} must be a string, number or boolean; dropped.`);
  }
  return attributes;
}
